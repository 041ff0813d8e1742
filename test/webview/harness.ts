// Serves the real webview page (src/views/html.ts, with its real CSP) and the real bundle
// (dist/webview) to headless Debian Chromium. VS Code itself is not here, so the page gets what
// VS Code would give it: `acquireVsCodeApi` (recording posted messages, keeping get/setState
// across reloads, counting the setState calls in `__setStateCalls`) and the theme's --vscode-* variables with the body class.

import * as http from 'node:http';
import * as path from 'node:path';
import { readFileSync, existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { renderPanelHtml, makeNonce } from '../../src/views/html';
import type { HostMessage, StepPoint } from '../../src/protocol';
import { loadDataset } from '../../src/data/load';

export const root = path.resolve(__dirname, '..', '..');
export const resultsDir = path.join(root, 'test-results');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.ttf': 'font/ttf',
  '.map': 'application/json',
};

export async function serve(): Promise<{ url: string; close(): Promise<void> }> {
  if (!existsSync(path.join(root, 'dist/webview/main.js')))
    throw new Error('dist/webview/main.js is missing: run `npm run build` first');
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/' || u.pathname === '/index.html') {
      const origin = `http://${req.headers.host}`;
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        renderPanelHtml({
          cspSource: origin,
          nonce: makeNonce(),
          scriptUri: `${origin}/dist/webview/main.js`,
          styleUri: `${origin}/dist/webview/main.css`,
          codiconsUri: `${origin}/dist/webview/codicons/codicon.css`,
          mode: u.searchParams.get('mode') === 'sidebar' ? 'sidebar' : 'panel',
        }),
      );
      return;
    }
    const file = path.join(root, path.normalize(u.pathname));
    if (!file.startsWith(path.join(root, 'dist', 'webview')) || !existsSync(file)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(() => r())) };
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN || '/usr/lib/chromium/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

/** A few of VS Code's Dark Modern and Light Modern colours, as the workbench injects them. */
export const THEMES = {
  dark: {
    bodyClass: 'vscode-dark',
    vars: {
      '--vscode-font-family': 'system-ui, sans-serif',
      '--vscode-font-size': '13px',
      '--vscode-editor-font-family': 'monospace',
      '--vscode-editor-font-size': '13px',
      '--vscode-foreground': '#cccccc',
      '--vscode-descriptionForeground': '#9d9d9d',
      '--vscode-editor-background': '#1f1f1f',
      '--vscode-sideBar-background': '#181818',
      '--vscode-editorWidget-background': '#202020',
      '--vscode-panel-border': '#2b2b2b',
      '--vscode-editorWidget-border': '#313131',
      '--vscode-focusBorder': '#0078d4',
      '--vscode-button-background': '#0078d4',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-hoverBackground': '#026ec1',
      '--vscode-button-secondaryBackground': '#313131',
      '--vscode-button-secondaryForeground': '#cccccc',
      '--vscode-button-secondaryHoverBackground': '#3c3c3c',
      '--vscode-input-background': '#313131',
      '--vscode-input-foreground': '#cccccc',
      '--vscode-dropdown-background': '#313131',
      '--vscode-dropdown-foreground': '#cccccc',
      '--vscode-dropdown-border': '#3c3c3c',
      '--vscode-textCodeBlock-background': '#2b2b2b',
      '--vscode-charts-blue': '#3794ff',
      '--vscode-charts-red': '#f14c4c',
      '--vscode-charts-green': '#89d185',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-purple': '#b180d7',
      '--vscode-charts-yellow': '#cca700',
      '--vscode-errorForeground': '#f85149',
      '--vscode-inputValidation-errorBackground': '#5a1d1d',
      '--vscode-inputValidation-errorBorder': '#be1100',
    },
  },
  light: {
    bodyClass: 'vscode-light',
    vars: {
      '--vscode-font-family': 'system-ui, sans-serif',
      '--vscode-font-size': '13px',
      '--vscode-editor-font-family': 'monospace',
      '--vscode-editor-font-size': '13px',
      '--vscode-foreground': '#3b3b3b',
      '--vscode-descriptionForeground': '#5f5f5f',
      '--vscode-editor-background': '#ffffff',
      '--vscode-sideBar-background': '#f8f8f8',
      '--vscode-editorWidget-background': '#f8f8f8',
      '--vscode-panel-border': '#e5e5e5',
      '--vscode-editorWidget-border': '#c8c8c8',
      '--vscode-focusBorder': '#005fb8',
      '--vscode-button-background': '#005fb8',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-hoverBackground': '#0258a8',
      '--vscode-button-secondaryBackground': '#e5e5e5',
      '--vscode-button-secondaryForeground': '#3b3b3b',
      '--vscode-button-secondaryHoverBackground': '#cccccc',
      '--vscode-input-background': '#ffffff',
      '--vscode-input-foreground': '#3b3b3b',
      '--vscode-dropdown-background': '#ffffff',
      '--vscode-dropdown-foreground': '#3b3b3b',
      '--vscode-dropdown-border': '#cecece',
      '--vscode-textCodeBlock-background': '#f2f2f2',
      '--vscode-charts-blue': '#1a85ff',
      '--vscode-charts-red': '#e51400',
      '--vscode-charts-green': '#388a34',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-purple': '#652d90',
      '--vscode-charts-yellow': '#bf8803',
      '--vscode-errorForeground': '#a1260d',
      '--vscode-inputValidation-errorBackground': '#f2dede',
      '--vscode-inputValidation-errorBorder': '#be1100',
    },
  },
} as const;

const INIT_SCRIPT = `function (t) {
  var w = window;
  w.__posted = [];
  w.__violations = [];
  w.__setStateCalls = 0;
  document.addEventListener('securitypolicyviolation', function (e) { w.__violations.push(e.violatedDirective + ': ' + e.blockedURI); });
  w.acquireVsCodeApi = function () {
    return {
      postMessage: function (m) { w.__posted.push(m); },
      getState: function () { var s = JSON.parse(sessionStorage.getItem('vscode-state') || 'null'); return s === null ? undefined : s; },
      setState: function (s) { w.__setStateCalls++; sessionStorage.setItem('vscode-state', JSON.stringify(s)); },
    };
  };
  w.__applyTheme = function (theme) {
    for (var k in theme.vars) document.documentElement.style.setProperty(k, theme.vars[k]);
    document.body.classList.remove('vscode-dark', 'vscode-light', 'vscode-high-contrast');
    document.body.classList.add(theme.bodyClass);
  };
  document.addEventListener('DOMContentLoaded', function () { w.__applyTheme(t); }, { once: true });
}`;

/** A browser, the page server, and one 1200×900 page of the panel that has said `ready`: what a suite starts from. */
export async function openReadyPanel(theme: keyof typeof THEMES = 'dark'): Promise<{
  browser: Browser;
  server: { url: string; close(): Promise<void> };
  page: Page;
}> {
  const server = await serve();
  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  await preparePage(page, theme);
  await page.goto(server.url);
  await page.waitForFunction(() => (window as any).__posted?.some((m: any) => m.type === 'ready'));
  return { browser, server, page };
}

/** Stand-in for the VS Code host around the page: the API object and the theme. */
export async function preparePage(page: Page, theme: keyof typeof THEMES = 'dark'): Promise<void> {
  // A string, not a function: tsx compiles functions with helpers (__name) that do not exist in the page.
  await page.addInitScript(`(${INIT_SCRIPT})(${JSON.stringify(THEMES[theme])})`);
}

export async function posted(page: Page): Promise<any[]> {
  return page.evaluate(() => (window as any).__posted);
}

/** Deliver host messages the way VS Code does: as message events on the webview's window. */
export async function deliver(page: Page, messages: unknown[]): Promise<void> {
  await page.evaluate((ms) => {
    for (const m of ms) window.postMessage(m, '*');
  }, messages);
  // Two frames: the messages are queued tasks, then the panel redraws once on the next frame.
  await page.evaluate(() => new Promise((r) => setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(r)), 0)));
}

/** The panel's own number format (webview/format.ts num), written again here so a test does not
 *  trust the formatter it checks. */
export const fmt = (x: number, digits = 3): string => {
  const a = Math.abs(x);
  return (a >= 1e4 || a < 1e-3 ? x.toExponential(digits - 1) : x.toPrecision(digits)).replace(/-/g, '−');
};

/** The recorded run's model and its real digits (training and validation sets), for results computed beside it. */
export async function recordedData(messages: readonly HostMessage[]) {
  const first = messages.find((m) => m.type === 'snapshot' && m.snapshot.run);
  if (!first || first.type !== 'snapshot' || !first.snapshot.run) throw new Error('the recording has no run');
  const spec = first.snapshot.run.spec;
  const data = await loadDataset(spec.data, {
    dataPath: null,
    labelsPath: null,
    mediaDir: path.join(root, 'media'),
    seed: spec.seed,
  });
  return { spec, ...data };
}

/** A step point with a falling loss (2 / step), 8 examples a step, no layers: filler history for the page. */
export const fillerPoint = (step: number, epoch = 1): StepPoint => ({
  step,
  epoch,
  examplesSeen: 8 * step,
  time: step / 10,
  loss: 2 / step,
  accuracy: 0.5,
  noiseScale: 1,
  layers: [],
});
