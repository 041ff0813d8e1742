// Why the last Train did not start: the model file's errors, each a link to its place. A click
// asks the host to select that range in the editor that already shows the file (no second copy).

import type { ModelFileProblems, ReadonlySnapshot, DeepReadonly } from '../src/protocol';
import { el, icon, reveal } from './dom';
import { card } from './cards';

export class ProblemsView {
  readonly root: HTMLElement;
  private readonly list: HTMLElement;
  private last: DeepReadonly<ModelFileProblems> | null = null;
  /** Problems listed now (the rendered summary reports it). */
  count = 0;

  constructor(private readonly open: (offset: number, length: number) => void) {
    this.list = el('ul', { class: 'problems' });
    this.root = card('problems', this.list);
  }

  update(s: ReadonlySnapshot): void {
    const p = s.problems ?? null;
    this.root.hidden = !p;
    this.count = p?.items.length ?? 0;
    if (!p || p === this.last) return;
    this.last = p;
    this.list.replaceChildren(
      ...p.items.map((item) => {
        const where = `${p.file}:${item.line}:${item.column}`;
        const link = el(
          'button',
          { class: 'link', 'data-offset': item.offset, 'data-length': item.length, title: `Go to ${where}` },
          where,
        );
        link.addEventListener('click', () => this.open(item.offset, item.length));
        return el(
          'li',
          { class: item.severity },
          icon(item.severity === 'error' ? 'error' : 'warning'),
          ' ',
          link,
          el('span', { class: 'message', text: ` ${item.severity}: ${item.message}` }),
        );
      }),
    );
    // In view, but the focus stays in the editor, where the first error is selected.
    reveal(this.root, false);
  }
}
