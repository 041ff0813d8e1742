// The two conversations of Gradient Lens and the data they share:
//   extension host <-> worker_thread   worker.ts
//   extension host <-> webview         webview.ts
// Both answer requests through pending.ts and check every incoming message with validate.ts.

export * from './shared';
export * from './worker';
export * from './webview';
export * from './readonly';
