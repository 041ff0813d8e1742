// Tiny DOM helpers: build elements without innerHTML (nothing from the host is ever parsed as HTML).

type Attrs = Record<string, string | number | boolean | undefined>;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') e.className = String(v);
    else if (k === 'text') e.textContent = String(v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) e.append(c);
  return e;
}

export function icon(name: string): HTMLElement {
  return el('span', { class: `codicon codicon-${name}`, 'aria-hidden': 'true' });
}

/** Set by main.ts: where a section's "Save as PNG" button sends its picture. */
export const pngSink: { save: (name: string, dataUrl: string) => void } = { save: () => {} };

/** A table with a header row (class "check": the panel's table look). */
export function table(headers: string[], rows: HTMLElement[]): HTMLElement {
  const head = el('tr', {}, ...headers.map((h) => el('th', { text: h })));
  return el('table', { class: 'check' }, el('thead', {}, head), el('tbody', {}, ...rows));
}

/** Brings a card with a new result into view and gives it the focus (for keyboard and screen readers). */
export function reveal(root: HTMLElement, focus = true): void {
  root.hidden = false;
  const body = root.querySelector<HTMLElement>('.card-body');
  if (body?.hidden) root.querySelector<HTMLButtonElement>('button.collapse')?.click();
  scrollToCard(root, focus);
}

/** Scrolls a card's top just below the sticky toolbar, and focuses it. */
export function scrollToCard(root: HTMLElement, focus = true): void {
  const header = document.querySelector<HTMLElement>('.top');
  const covered = header && getComputedStyle(header).position === 'sticky' ? header.getBoundingClientRect().height : 0;
  window.scrollTo({ top: Math.max(0, window.scrollY + root.getBoundingClientRect().top - covered - 6), behavior: 'auto' });
  if (focus) root.focus({ preventScroll: true });
}
