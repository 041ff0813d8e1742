// The panel's cards: every card's words in one table (its title in plain words, the symbol shown
// second and quieter, the one-line explanation under it, and whether it waits hidden for a result),
// and the one builder that turns an entry and the view's own content into a card with a collapse
// toggle and a "Save as PNG" button. A view only says which card it is and what goes inside, so the
// words a reader sees can be read and kept true side by side.

import { el, icon, pngSink } from './dom';

interface CardWords {
  title: string;
  symbol?: string;
  explain: string;
  /** Shown only once the view has something to show (a result asked for, a PyTorch run, an error). */
  hidden?: true;
}

export const CARDS = {
  answers: {
    title: 'Two questions, answered by this run',
    symbol: 'per example or per batch?',
    explain: "What back-propagation does with a batch, in this model's own numbers. The links lead to the cards that show it.",
  },
  problems: {
    title: 'The model file has errors',
    symbol: 'problems',
    explain: 'Training did not start. Click a problem to go to its place in the file; fix it, then Train again.',
    hidden: true,
  },
  loss: {
    title: 'How training is going',
    symbol: 'loss L and accuracy',
    explain: "Each batch's mean loss (lower is better) and accuracy, step by step.",
  },
  network: {
    title: 'The network and its gradients',
    symbol: 'layers and ∂L/∂θ',
    explain:
      "Columns: the input and each layer's units (big layers grouped). Links: the selected layer by its gradient (red +, blue −), the others by their gradient norm. Click a link or a layer to follow it.",
  },
  heatmap: {
    title: 'Every weight of a layer at once',
    symbol: 'heatmap of ∂L/∂θ',
    explain:
      "Rows: the layer's inputs; columns: its output units; each cell one connection (big layers: the largest in its block). Click one to follow it in the cards below.",
  },
  'per-example': {
    title: "Each example's gradient, and their average",
    symbol: 'gᵢ = ∇Lᵢ, G = (1/M)·Σᵢ gᵢ',
    explain:
      "Back-propagation runs once per example: gᵢ is the gradient of example i's own loss (not divided by M). The weights change once per batch, by the optimizer's step from the mean G.",
  },
  ranks: {
    title: 'Data-parallel ranks',
    symbol: 'G = Σ_r (M_r/M)·G_r',
    explain:
      'Each PyTorch rank back-propagates its own share of the batch (its gradient G_r); the all-reduce combines them into the one gradient G that every rank steps with.',
    hidden: true,
  },
  health: {
    title: 'Is each layer learning well?',
    symbol: 'gradient health',
    explain:
      'One line per layer, over the training steps: the size of its gradient and update, how much the examples agree, and dead units.',
  },
  histograms: {
    title: 'How the gradients are spread, over time',
    symbol: 'histograms of ∂L/∂θ',
    explain:
      'One strip per layer. Across: training steps, left to right. Up and down: the gradient value (0 on the middle line). Darker: more weights with that gradient.',
  },
  walkthrough: {
    title: 'Step through the batch, example by example',
    symbol: 'Σᵢ gᵢ, then one update',
    explain: 'Each example gets its own forward and backward pass; the gradients add up; θ changes only after the whole batch.',
    hidden: true,
  },
  gradcheck: {
    title: 'Are the gradients right?',
    symbol: 'gradient check',
    explain:
      "Back-propagation's gradient against the slope measured by nudging each weight a little (float64 finite differences).",
    hidden: true,
  },
  compare: {
    title: 'Why mini-batches? Batch sizes side by side (M)',
    explain:
      'The same model, seed and initial weights trained with each batch size for the same examples seen, each with a learning rate that suits it.',
    hidden: true,
  },
  repeat: {
    title: 'What if one example were repeated until it is right?',
    symbol: 'Repeat One Example',
    explain:
      'From the same start: update on one training example again and again, beside normal shuffled training for the same number of updates.',
    hidden: true,
  },
} satisfies Record<string, CardWords>;

export type CardId = keyof typeof CARDS;

/** The card `id` (its words from CARDS) holding `children`; the element's id is the card's id. */
export function card(id: CardId, ...children: (Node | string)[]): HTMLElement {
  const { title: words, symbol, explain, hidden } = CARDS[id] as CardWords;
  const save = el(
    'button',
    { class: 'icon-button save-png', title: `Save "${words}" as PNG`, 'aria-label': `Save ${words} as PNG`, 'data-save': id },
    icon('device-camera'),
  );
  const body = el('div', { class: 'card-body', id: `${id}-body` }, ...children);
  const toggle = el(
    'button',
    {
      class: 'icon-button collapse',
      'aria-expanded': 'true',
      'aria-controls': `${id}-body`,
      title: `Collapse "${words}"`,
      'aria-label': `Collapse ${words}`,
    },
    icon('chevron-down'),
  );
  const heading = el(
    'h2',
    { id: `${id}-title` },
    words,
    ...(symbol ? [el('span', { class: 'symbol', text: ` · ${symbol}` })] : []),
  );
  const root = el(
    'section',
    { id, class: 'card', 'aria-labelledby': `${id}-title`, tabindex: -1 },
    el('div', { class: 'card-head' }, toggle, heading, save),
    el('p', { class: 'explain', text: explain }),
    body,
  );
  root.hidden = hidden === true;
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    toggle.setAttribute('aria-label', `${open ? 'Collapse' : 'Expand'} ${words}`);
    toggle.title = `${open ? 'Collapse' : 'Expand'} "${words}"`;
    toggle.replaceChildren(icon(open ? 'chevron-down' : 'chevron-right'));
    body.hidden = !open;
    root.classList.toggle('collapsed', !open);
  });
  save.addEventListener('click', () => pngSink.save(`gradient-lens-${id}`, cardPng(root)));
  return root;
}

/** The card's canvases stacked into one PNG, on the theme's background. */
function cardPng(root: HTMLElement): string {
  const canvases = [...root.querySelectorAll('canvas')].filter((c) => c.width > 0 && c.height > 0 && !c.hidden);
  const width = Math.max(1, ...canvases.map((c) => c.width));
  const height = Math.max(
    1,
    canvases.reduce((h, c) => h + c.height, 0),
  );
  const out = document.createElement('canvas');
  out.width = width;
  out.height = height;
  const ctx = out.getContext('2d');
  if (ctx) {
    ctx.fillStyle = getComputedStyle(document.body).getPropertyValue('--vscode-editor-background').trim() || '#1e1e1e';
    ctx.fillRect(0, 0, width, height);
    let y = 0;
    for (const c of canvases) {
      ctx.drawImage(c, 0, y);
      y += c.height;
    }
  }
  return out.toDataURL('image/png');
}
