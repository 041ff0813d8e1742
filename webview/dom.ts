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

/** A card: a plain-language title (the symbol second, quieter), a one-line explanation visible
 *  under it, a collapse toggle and a "Save as PNG" button. `title` may be [words, symbol]. */
export function section(id: string, title: string | [string, string], ...children: (Node | string)[]): HTMLElement {
  const [words, symbol] = typeof title === 'string' ? [title, ''] : title;
  const explain =
    children.length > 0 && children[0] instanceof HTMLElement && children[0].classList.contains('explain')
      ? (children.shift() as HTMLElement)
      : null;
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
    ...(explain ? [explain] : []),
    body,
  );
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    toggle.setAttribute('aria-label', `${open ? 'Collapse' : 'Expand'} ${words}`);
    toggle.title = `${open ? 'Collapse' : 'Expand'} "${words}"`;
    toggle.replaceChildren(icon(open ? 'chevron-down' : 'chevron-right'));
    body.hidden = !open;
    root.classList.toggle('collapsed', !open);
  });
  save.addEventListener('click', () => pngSink.save(`gradient-lens-${id}`, sectionPng(root)));
  return root;
}

/** A table with a header row (class "check": the panel's table look). */
export function table(headers: string[], rows: HTMLElement[]): HTMLElement {
  const head = el('tr', {}, ...headers.map((h) => el('th', { text: h })));
  return el('table', { class: 'check' }, el('thead', {}, head), el('tbody', {}, ...rows));
}

/** The one-line explanation shown under a card's title. */
export function explain(text: string): HTMLElement {
  return el('p', { class: 'explain', text });
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

/** The section's canvases stacked into one PNG, on the theme's background. */
function sectionPng(root: HTMLElement): string {
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
