// The gradient check's result as a table: per layer, entries checked, largest relative error,
// pass or fail (float64 central differences against the analytic gradient).

import type { ReadonlySnapshot, DeepReadonly } from '../src/protocol';
import { el, icon, reveal, table } from './dom';
import { card } from './cards';
import type { GradCheckResult } from '../src/engine/types';

export class CheckView {
  readonly root: HTMLElement;
  private readonly body: HTMLElement;
  private last: DeepReadonly<GradCheckResult> | null = null;

  constructor() {
    this.body = el('div');
    this.root = card('gradcheck', this.body);
  }

  update(s: ReadonlySnapshot): void {
    const r = s.gradCheck;
    this.root.hidden = !r;
    if (!r) return;
    const fresh = r !== this.last;
    this.last = r;
    const rows = r.layers.map((l) =>
      el(
        'tr',
        { class: l.passed ? 'pass' : 'fail' },
        el('td', { text: l.name }),
        el('td', { class: 'num', text: String(l.checked) }),
        el('td', { class: 'num', text: l.maxRelativeError.toExponential(2) }),
        el('td', {}, icon(l.passed ? 'pass' : 'error'), l.passed ? ' pass' : ' fail'),
      ),
    );
    this.body.replaceChildren(
      table(['layer', 'checked', 'max rel. error', 'result'], rows),
      el('p', {
        class: 'note',
        text: `float64 central differences; tolerance ${r.tolerance.toExponential(0)}. ${r.passed ? 'Every layer passes.' : 'Some layers fail: their backward pass disagrees with the loss.'}`,
      }),
    );
    if (fresh) reveal(this.root);
  }
}
