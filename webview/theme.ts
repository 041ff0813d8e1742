// Colours come from VS Code's theme (--vscode-* CSS variables). Canvases and charts read them through
// palette() (kept until the theme changes), and a MutationObserver on <body>'s class (vscode-light/dark/high-contrast) tells the
// views to redraw when the user switches theme.

export interface Palette {
  foreground: string;
  muted: string;
  background: string;
  grid: string;
  focus: string;
  positive: string;
  negative: string;
  series: string[];
  warning: string;
  error: string;
}

function css(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

let current: Palette | null = null;
let watching = false;

/**
 * The theme's colours, read once per theme: reading them costs a style lookup per colour, and every
 * view asks on every frame. Forgotten when the theme can have changed (the variables on <html>, the
 * body's class); this observer is made before the views' own (onThemeChange), so it runs first.
 */
export function palette(): Palette {
  if (current) return current;
  if (!watching && typeof MutationObserver !== 'undefined') {
    watching = true;
    const forget = new MutationObserver(() => (current = null));
    for (const target of [document.documentElement, document.body])
      if (target) forget.observe(target, { attributes: true, attributeFilter: ['class', 'style'] });
  }
  current = read();
  return current;
}

function read(): Palette {
  return {
    foreground: css('--vscode-foreground', '#cccccc'),
    muted: css('--vscode-descriptionForeground', '#9d9d9d'),
    background: css('--vscode-editor-background', '#1e1e1e'),
    grid: css('--vscode-editorWidget-border', css('--vscode-panel-border', '#454545')),
    focus: css('--vscode-focusBorder', '#007fd4'),
    positive: css('--vscode-charts-red', '#f14c4c'),
    negative: css('--vscode-charts-blue', '#3794ff'),
    series: [
      css('--vscode-charts-blue', '#3794ff'),
      css('--vscode-charts-orange', '#d18616'),
      css('--vscode-charts-green', '#89d185'),
      css('--vscode-charts-purple', '#b180d7'),
      css('--vscode-charts-yellow', '#cca700'),
      css('--vscode-charts-red', '#f14c4c'),
    ],
    warning: css('--vscode-editorWarning-foreground', '#cca700'),
    error: css('--vscode-editorError-foreground', '#f14c4c'),
  };
}

export function onThemeChange(redraw: () => void): void {
  new MutationObserver(() => redraw()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
}

/** `#rrggbb` or `rgb(...)` with an alpha, for fills. */
export function withAlpha(color: string, alpha: number): string {
  const c = color.trim();
  if (c.startsWith('#') && (c.length === 7 || c.length === 4)) {
    const hex =
      c.length === 4
        ? c
            .slice(1)
            .split('')
            .map((h) => h + h)
            .join('')
        : c.slice(1);
    const n = parseInt(hex, 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }
  const m = c.match(/rgba?\(([^)]+)\)/);
  if (m) {
    const [r, g, b] = m[1].split(',').map((x) => x.trim());
    return `rgba(${r}, ${g}, ${b}, ${alpha})`;
  }
  return c;
}
