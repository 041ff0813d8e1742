// `npm run bench:host`: how the extension behaves under load, measured (not a test: nothing here
// passes or fails on a number). Writes docs/bench-host-latest.json and prints it.
//   parse    bench/hostParse.ts: parseModel on 1 MB model files (what the editor runs on an edit)
//   webview  bench/hostWebview.ts: the real panel in headless Chromium with 100,000 history points
//   host     bench/hostLag.ts in a real VS Code server's extension host: its event-loop delay and
//            memory while the digits example trains at full speed with the panel open; meanwhile
//            this script samples the panel webview's JS heap in the workbench's Chromium
// Options: --minutes N  length of the host run (default 1; the long run is --minutes 30)
//          --only parse,webview,host  the parts to measure (the others are kept from the last file,
//                 each part with its own date and load average)
//          --repeat N  fresh-page repetitions of each webview measurement (default 3)
//          --soak  the memory soak: the host part only (default 5 minutes, a sample every 10 s),
//                 written to docs/bench-host-soak.json (docs/bench-host-latest.json is left alone);
//                 prints each memory series' start → end and its slope over the second half
//                 (the long run: --soak --minutes 30, on a quiet machine)
//          --every S  seconds between memory samples of the host run
//          --heap-snapshots DIR  heap snapshots of the host and the worker at half time and at the end
//                 (taking one raised the process RSS by ~200 MB for good: RSS after it is not the run's)
//          --allocations FILE  the host thread's sampled allocations over the run (garbage included)
//          --gc  a full collection of the host's heap before every sample (its retained heap as a
//                 series; it changes how V8 sizes the heap, so RSS is then not the natural run's)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureFreshBuild } from './lib/fresh-build.mjs';
import { root, tmp } from './host/env.mjs';
import { launchBrowser, makeWorkspace, newPage, startServer } from './host/server.mjs';
import { withDeadline } from './host/wait.mjs';
import { tsImport } from 'tsx/esm/api';

// The memory summary is the bench's own TypeScript (shared with the extension-host half).
/** @type {typeof import('../bench/memorySeries')} */
const { describe, summarize } = await tsImport('../bench/memorySeries.ts', import.meta.url);

const args = process.argv.slice(2);
const opt = (/** @type {string} */ name, /** @type {string} */ dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const soak = args.includes('--soak');
const minutes = Number(opt('--minutes', soak ? '5' : '1'));
const every = opt('--every', soak ? '10' : '');
const heapSnapshots = opt('--heap-snapshots', '');
const load = () => os.loadavg().map((x) => Math.round(x * 100) / 100);
const only = new Set(opt('--only', soak ? 'host' : 'parse,webview,host').split(','));
process.chdir(root);
if (!ensureFreshBuild(root)) throw new Error('the build failed');

const repeat = Number(opt('--repeat', '3'));

/** Runs a TypeScript bench file and returns its JSON output. @param {string} file */
function tsJson(file) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    env: { ...process.env, BENCH_REPEAT: String(repeat) },
  });
  if (r.status !== 0) throw new Error(`${file} failed (${r.status}):\n${r.stderr.slice(-3000)}`);
  return JSON.parse(r.stdout);
}

/** In a frame: the JS heap in bytes if the frame is the Gradient Lens panel (a string: it runs in the page). */
const PANEL_HEAP = `document.body && document.body.dataset.mode === 'panel' && performance.memory ? performance.memory.usedJSHeapSize : null`;

/**
 * The panel webview's JS heap in MB after a full collection (through the DevTools protocol of its
 * frame when Chromium runs it in a process of its own, else of the page), or null.
 * @param {import('playwright-core').Page} page
 */
async function panelHeapMb(page) {
  for (const frame of page.frames()) {
    if ((await frame.evaluate(PANEL_HEAP).catch(() => null)) === null) continue;
    const cdp = await page
      .context()
      .newCDPSession(frame)
      .catch(() => page.context().newCDPSession(page));
    await cdp.send('HeapProfiler.collectGarbage').catch(() => {});
    const used = await frame.evaluate(PANEL_HEAP).catch(() => null);
    await cdp.detach().catch(() => {});
    if (typeof used === 'number') return Math.round((used / 2 ** 20) * 10) / 10;
  }
  return null;
}

async function hostRun() {
  const seconds = Math.round(minutes * 60);
  const workspace = makeWorkspace('bench');
  const resultsFile = path.join(tmp, 'bench-results.json');
  const server = await startServer('bench', ['--extensions-dir', path.join(tmp, 'bench', 'extensions')], {
    GRADIENT_LENS_BENCH_RESULTS: resultsFile,
    GRADIENT_LENS_BENCH_SECONDS: String(seconds),
    ...(every ? { GRADIENT_LENS_BENCH_EVERY: every } : {}),
    ...(heapSnapshots ? { GRADIENT_LENS_BENCH_HEAP_SNAPSHOTS: path.resolve(heapSnapshots) } : {}),
    ...(args.includes('--gc') ? { GRADIENT_LENS_BENCH_GC: '1' } : {}),
    ...(opt('--allocations', '') ? { GRADIENT_LENS_BENCH_ALLOCATION_PROFILE: path.resolve(opt('--allocations', '')) } : {}),
  });
  // Precise heap numbers in the page (Chromium rounds performance.memory otherwise).
  const browser = await launchBrowser(['--enable-precise-memory-info']);
  try {
    const remote = (/** @type {string} */ p) => `vscode-remote://127.0.0.1:${server.port}${p}`;
    const payload = [
      ['extensionDevelopmentPath', remote(root)],
      ['extensionTestsPath', remote(path.join(root, 'dist/bench/hostLag.js'))],
    ];
    const url = `http://127.0.0.1:${server.port}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const { page } = await newPage(browser);
    /** @type {(code: unknown) => void} */
    let exit = () => {};
    const exited = new Promise((r) => (exit = r));
    await page.exposeFunction('codeAutomationLog', () => {});
    await page.exposeFunction('codeAutomationExit', (/** @type {unknown} */ code) => exit(code));
    await page.goto(url);
    /** @type {{ seconds: number, heapMb: number | null, loadAverage1m: number }[]} */
    const webview = [];
    const t0 = Date.now();
    const sampleMs = Number(every) * 1000 || Math.max(1000, Math.min(30_000, (seconds * 1000) / 20));
    // Until the extension host has written its results and said it is done (or long past its time).
    // The results are written before the host cleans up, so a clean-up that hangs loses nothing.
    for (let code = null; code === null && Date.now() - t0 < seconds * 1000 + 600_000;) {
      code = await withDeadline(exited, sampleMs, null);
      if (code !== null) break;
      if (fs.existsSync(resultsFile)) {
        await withDeadline(exited, 60_000, null);
        break;
      }
      const heapMb = await withDeadline(panelHeapMb(page), 20_000, null);
      webview.push({ seconds: Math.round((Date.now() - t0) / 1000), heapMb, loadAverage1m: load()[0] });
    }
    const phases = fs.existsSync(`${resultsFile}.log`) ? fs.readFileSync(`${resultsFile}.log`, 'utf8').trim().split('\n') : [];
    const host = fs.existsSync(resultsFile) ? JSON.parse(fs.readFileSync(resultsFile, 'utf8')) : { error: 'no results' };
    const webviewHeapSamples = webview.filter((s) => s.heapMb !== null);
    const panel = summarize(webviewHeapSamples.map((s) => ({ seconds: s.seconds, values: { panelHeapAfterGcMb: s.heapMb } })));
    return { ...host, memory: { ...host.memory, ...panel }, phases, webviewHeapSamples };
  } finally {
    await browser.close().catch(() => {});
    server.stop();
  }
}

const out = path.join(root, 'docs', soak ? 'bench-host-soak.json' : 'bench-host-latest.json');
/** Each part with its own date and load average; a part left out with --only is kept from the file. */
async function part(/** @type {string} */ name, /** @type {() => object | Promise<object>} */ measure) {
  if (!only.has(name)) return {};
  const start = { date: new Date().toISOString(), loadAverageAtStart: load() };
  const value = await measure();
  return { [name]: { ...start, ...value, loadAverageAtEnd: load() } };
}
const measured = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, loadAverageAtStart: load() },
  ...(await part('parse', () => ({ cases: tsJson('bench/hostParse.ts') }))),
  ...(await part('webview', () => tsJson('bench/hostWebview.ts'))),
  ...(await part('host', () => hostRun())),
  loadAverageAtEnd: load(),
};
// Read when writing (another bench of other parts may have written it meanwhile).
const previous = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')) : {};
const result = {
  ...measured,
  ...Object.fromEntries(['parse', 'webview', 'host'].filter((k) => !only.has(k) && previous[k]).map((k) => [k, previous[k]])),
};
fs.rmSync(tmp, { recursive: true, force: true });
// Formatted as the tree is (npm test checks it).
const prettier = await import('prettier');
fs.writeFileSync(out, await prettier.format(JSON.stringify(result), { ...(await prettier.resolveConfig(out)), filepath: out }));
console.log(JSON.stringify(result, null, 2));
const h =
  /** @type {{ memory?: Record<string, import('../bench/memorySeries').SeriesSummary>, loadAverageAtStart: number[], loadAverageAtEnd: number[] } | undefined} */ (
    /** @type {Record<string, unknown>} */ (result).host
  );
if (h?.memory) {
  console.log(`\nmemory over ${minutes} min, load average ${h.loadAverageAtStart.join(' ')} → ${h.loadAverageAtEnd.join(' ')}:`);
  console.log(describe(h.memory));
}
console.log(`wrote ${path.relative(root, out)}`);
