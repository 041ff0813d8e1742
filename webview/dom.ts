// Tiny DOM helpers: build elements without innerHTML (nothing from the host is ever parsed as HTML).

type Attrs = Record<string, string | number | boolean | undefined>;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K, attrs: Attrs = {}, ...children: (Node | string)[]
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

export function section(id: string, title: string, ...children: (Node | string)[]): HTMLElement {
  return el('section', { id, class: 'card', 'aria-labelledby': `${id}-title` },
    el('h2', { id: `${id}-title`, text: title }), ...children);
}
