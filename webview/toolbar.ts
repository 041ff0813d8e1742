// The controls and the status line. Buttons send commands to the host; which ones are enabled
// follows the session state, so keyboard users never land on a button that does nothing.

import type { PanelCommand, ReadonlySnapshot } from '../src/protocol';
import { el, icon } from './dom';
import { num, pct } from './format';

const BUTTONS: {
  command: PanelCommand;
  label: string;
  icon: string;
  when: (s: ReadonlySnapshot['status']['state']) => boolean;
}[] = [
  { command: 'train', label: 'Train', icon: 'play', when: (s) => s !== 'running' && s !== 'paused' && s !== 'loading' },
  { command: 'pause', label: 'Pause', icon: 'debug-pause', when: (s) => s === 'running' },
  { command: 'resume', label: 'Resume', icon: 'debug-continue', when: (s) => s === 'paused' },
  { command: 'step', label: 'Step one batch', icon: 'debug-step-over', when: (s) => s !== 'running' && s !== 'loading' },
  { command: 'stop', label: 'Stop', icon: 'debug-stop', when: (s) => s === 'running' || s === 'paused' || s === 'loading' },
  { command: 'reset', label: 'Reset', icon: 'discard', when: (s) => s !== 'running' && s !== 'loading' },
  { command: 'gradCheck', label: 'Gradient check', icon: 'check-all', when: (s) => s !== 'running' && s !== 'loading' },
  {
    command: 'stepThrough',
    label: 'Step through batch',
    icon: 'debug-step-into',
    when: (s) => s !== 'running' && s !== 'loading',
  },
  { command: 'compare', label: 'Compare batch sizes', icon: 'graph-line', when: (s) => s !== 'running' && s !== 'loading' },
  { command: 'repeat', label: 'Repeat one example', icon: 'sync', when: (s) => s !== 'running' && s !== 'loading' },
  // A toggle (aria-pressed follows the pace): always available, it changes a running training at once.
  { command: 'slow', label: 'Slow', icon: 'watch', when: () => true },
];

/** The panel-only tools (the sidebar keeps the training controls). */
const PANEL_ONLY: readonly PanelCommand[] = ['compare', 'gradCheck', 'stepThrough', 'repeat'];

export class Toolbar {
  readonly root: HTMLElement;
  private readonly buttons = new Map<PanelCommand, HTMLButtonElement>();
  private readonly status: HTMLElement;
  private readonly alert: HTMLElement;
  /** The newest failure of a request to the host (cleared by the next success). */
  private failure: string | undefined;

  constructor(send: (c: PanelCommand) => void, compact: boolean, extra: HTMLElement[] = []) {
    const bar = el('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Training controls' });
    for (const b of BUTTONS) {
      if (compact && PANEL_ONLY.includes(b.command)) continue;
      const title =
        b.command === 'slow' ? 'Slow: about 10 steps a second, to watch it learn (setting gradientLens.stepsPerSecond)' : b.label;
      const button = el(
        'button',
        { class: 'tool', title, 'aria-label': b.label, 'data-command': b.command },
        icon(b.icon),
        compact ? '' : ` ${b.label}`,
      );
      button.addEventListener('click', () => send(b.command));
      this.buttons.set(b.command, button);
      bar.append(button);
    }
    bar.append(...extra);
    this.status = el('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
    this.alert = el('div', { class: 'alert', role: 'alert', hidden: true });
    this.root = el('header', { class: 'top' }, bar, this.status, this.alert);
  }

  /** A request to the host failed (or, with undefined, the next one succeeded): shown in the alert line. */
  setFailure(message: string | undefined): void {
    this.failure = message;
  }

  get lastFailure(): string | undefined {
    return this.failure;
  }

  update(s: ReadonlySnapshot): void {
    const st = s.status;
    for (const b of BUTTONS) {
      const button = this.buttons.get(b.command);
      if (button) button.disabled = !b.when(st.state);
    }
    this.buttons.get('slow')?.setAttribute('aria-pressed', String((s.pace ?? 0) > 0));
    const last = s.history[s.history.length - 1];
    const epoch = s.epochs[s.epochs.length - 1];
    const parts = [
      s.run ? `${s.run.spec.name}` : 'no run yet',
      st.state,
      st.epoch ? `epoch ${st.epoch}/${s.run?.spec.epochs ?? '?'}` : '',
      st.step ? `step ${st.step}` : '',
      last ? `loss ${num(last.loss)}` : '',
      epoch?.validationAccuracy !== null && epoch?.validationAccuracy !== undefined
        ? `val acc ${pct(epoch.validationAccuracy)}`
        : '',
      // A watched script says its batch size, not its data set's.
      s.run ? `M = ${s.run.spec.batchSize}${s.run.trainSize ? ` · ${s.run.trainSize} examples` : ''} · ${s.run.backend}` : '',
      (s.pace ?? 0) > 0 ? `slow: ${s.pace} steps/s` : '',
    ].filter(Boolean);
    this.status.textContent = parts.join(' · ');
    this.status.dataset.state = st.state;
    const problem =
      this.failure ??
      (st.nonFinite
        ? `${st.nonFinite.message} (layer ${st.nonFinite.layer}, example ${st.nonFinite.example})`
        : st.state === 'failed'
          ? st.message
          : undefined);
    this.alert.hidden = !problem;
    this.alert.textContent = problem ?? '';
  }
}
