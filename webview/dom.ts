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

/** Set by main.ts: where a section's "Save as PNG" button sends its picture. */
export const pngSink: { save: (name: string, dataUrl: string) => void } = { save: () => {} };

export function section(id: string, title: string, ...children: (Node | string)[]): HTMLElement {
  const save = el('button', { class: 'icon-button save-png', title: `Save "${title}" as PNG`, 'aria-label': `Save ${title} as PNG`, 'data-save': id }, icon('device-camera'));
  const root = el('section', { id, class: 'card', 'aria-labelledby': `${id}-title` },
    el('div', { class: 'card-head' }, el('h2', { id: `${id}-title`, text: title }), save), ...children);
  save.addEventListener('click', () => pngSink.save(`gradient-lens-${id}`, sectionPng(root)));
  return root;
}

/** The section's canvases stacked into one PNG, on the theme's background. */
function sectionPng(root: HTMLElement): string {
  const canvases = [...root.querySelectorAll('canvas')].filter((c) => c.width > 0 && c.height > 0 && !c.hidden);
  const width = Math.max(1, ...canvases.map((c) => c.width));
  const height = Math.max(1, canvases.reduce((h, c) => h + c.height, 0));
  const out = document.createElement('canvas');
  out.width = width;
  out.height = height;
  const ctx = out.getContext('2d');
  if (ctx) {
    ctx.fillStyle = getComputedStyle(document.body).getPropertyValue('--vscode-editor-background').trim() || '#1e1e1e';
    ctx.fillRect(0, 0, width, height);
    let y = 0;
    for (const c of canvases) { ctx.drawImage(c, 0, y); y += c.height; }
  }
  return out.toDataURL('image/png');
}
