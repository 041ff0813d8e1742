// The HTML shell of the Gradient Lens webviews (panel and sidebar): a strict CSP with a nonce on
// the one script, every resource through the webview's own origin, and no inline style or eval.
// Pure (no vscode import), so the webview tests serve exactly this page to Chromium.

export interface PanelHtmlOptions {
  /** webview.cspSource */
  cspSource: string;
  nonce: string;
  /** asWebviewUri of dist/webview/main.js, main.css and the codicons stylesheet. */
  scriptUri: string;
  styleUri: string;
  codiconsUri: string;
  mode: 'panel' | 'sidebar';
}

export function renderPanelHtml(o: PanelHtmlOptions): string {
  const csp = [
    "default-src 'none'",
    `img-src ${o.cspSource} data: blob:`,
    `style-src ${o.cspSource}`,
    `font-src ${o.cspSource}`,
    `script-src 'nonce-${o.nonce}'`,
  ].join('; ');
  const title = o.mode === 'panel' ? 'Gradient Lens' : 'Gradient Lens: Training';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttr(o.codiconsUri)}">
<link rel="stylesheet" href="${escapeAttr(o.styleUri)}">
<title>${title}</title>
</head>
<body data-mode="${o.mode}">
<div id="app" role="application" aria-label="${title}"></div>
<script nonce="${o.nonce}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>`;
}

/**
 * The nonce of one page load: 16 random bytes in base64 (128 bits, from the platform's CSPRNG). The
 * extension and the webview tests both use this one, so the tests see the nonce users get.
 */
export function makeNonce(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
