// The webview's copy of the session: a SessionSnapshot kept current by HostMessages with the same
// reducer and caps as the host's (src/run/reducer.ts), so a long run never grows the page without
// limit. Pure logic, no DOM.

export { apply, emptySnapshot } from '../src/run/reducer';
