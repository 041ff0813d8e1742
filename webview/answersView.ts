// The opening card: the two questions Gradient Lens answers, each answered with this run's live
// numbers, and a link to the card that shows it.
//   1. Is back-propagation applied after each example or after the batch?
//   2. Is it applied n times on one example until that example is right, before moving on?

import type { ReadonlySnapshot } from '../src/protocol';
import { el, scrollToCard } from './dom';
import { card } from './cards';
import { num } from './format';
import { optimizerName } from './formulaView';

export class AnswersView {
  readonly root: HTMLElement;
  private readonly first: HTMLElement;
  private readonly second: HTMLElement;

  constructor(private readonly run: (command: 'repeat' | 'stepThrough') => void) {
    this.first = el('div', { class: 'answer', 'aria-live': 'polite' });
    this.second = el('div', { class: 'answer', 'aria-live': 'polite' });
    this.root = card(
      'answers',
      el('h3', { text: 'Is back-propagation applied after each example, or after the batch?' }),
      this.first,
      el('h3', { text: 'Is it applied again and again on one example until that example is right?' }),
      this.second,
    );
  }

  update(s: ReadonlySnapshot): void {
    const spec = s.run?.spec;
    const d = s.detail?.perExample ?? null;
    const m = d?.perExample.length ?? spec?.batchSize ?? 0;
    if (d && s.detail) {
      const lo = Math.min(...d.perExample),
        hi = Math.max(...d.perExample);
      const how = d.terms ? optimizerName(d.terms) : d.optimizer;
      this.first.replaceChildren(
        el(
          'p',
          {},
          el('strong', { text: 'Both, in two parts. ' }),
          `In step ${s.detail.step}, back-propagation ran ${m} times, once per example: the ${m} gradients of ${d.paramName} ranged from ${num(lo, 3)} to ${num(hi, 3)}. `,
          `θ changed once, after all of them, by ${how}'s step from their mean G = ${num(d.mean, 4)}: ${num(d.before, 5)} → ${num(d.after, 5)}.`,
        ),
        el(
          'p',
          {},
          link("See each example's gradient", 'per-example'),
          ' · ',
          action('Step through this batch', () => this.run('stepThrough')),
        ),
      );
    } else {
      this.first.replaceChildren(
        el(
          'p',
          {},
          el('strong', { text: 'Both, in two parts: ' }),
          `each example of a batch${m ? ` (here M = ${m})` : ''} is back-propagated on its own; the weights change once per batch, by the mean of those gradients. Train or Step to see it with this run's numbers.`,
        ),
      );
    }
    const r = s.repeat ?? null;
    const epochs = spec?.epochs;
    const once = `No. Each example is back-propagated once per pass over the data${epochs ? ` (this run: ${epochs} epochs, so ${epochs} times each, in a different batch every time)` : ''}, and every update follows a batch's mean gradient.`;
    if (r) {
      const share = (100 * r.finalExampleLoss) / r.initialExampleLoss;
      this.second.replaceChildren(
        el(
          'p',
          {},
          el('strong', { text: `${once.split('.')[0]}. ` }),
          `Repeating example #${r.example.index} ${r.updates} times drove its loss to ${share.toFixed(share < 1 ? 2 : 1)} % of its start, `,
          r.finalValidationLoss !== null && r.baselineValidationLoss !== null
            ? `but the validation loss ended at ${num(r.finalValidationLoss)} against ${num(r.baselineValidationLoss)} for normal training with the same ${r.updates} updates.`
            : 'and the other examples were not learned.',
        ),
        el('p', {}, link('See the Repeat One Example experiment', 'repeat')),
      );
    } else {
      this.second.replaceChildren(
        el('p', {}, once),
        el(
          'p',
          {},
          action('Try it: Repeat One Example', () => this.run('repeat')),
        ),
      );
    }
  }
}

function link(text: string, target: string): HTMLElement {
  const a = el('a', { href: `#${target}`, text });
  a.addEventListener('click', (e) => {
    e.preventDefault();
    const card = document.getElementById(target);
    if (!card) return;
    scrollToCard(card);
  });
  return a;
}

function action(text: string, run: () => void): HTMLElement {
  const b = el('button', { class: 'link-button', text });
  b.addEventListener('click', run);
  return b;
}
