// Phase 1: test/host/*.test.ts (bundled to dist/test/host/index.js) in the server's Node extension
// host, through VS Code's own extension-test mechanism: extensionTestsPath in the workbench's
// `payload` query; the page calls window.codeAutomationExit when the extension host is done.
// The counts (and pending tests by name) come back in a JSON file the suite's run() writes.
// Then a screenshot of the workbench with the trained panel: test-results/host-workbench.png,
// kept only when every test passed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { elapsed, keepScreenshot, record, recordMocha, root, tmp, verbose } from './env.mjs';
import { makeWorkspace, newPage, startServer } from './server.mjs';
import { withDeadline } from './wait.mjs';

/** The whole suite's deadline: its tests take about a minute on a quiet machine. */
const MOCHA_DEADLINE_MS = Number(process.env.HOST_TEST_TIMEOUT_MS || 900_000);

/**
 * Runs the suite three times: in a trusted workspace (every test file); in an untrusted one, with
 * workspace trust on (test/host/restricted.test.ts only); in a multi-root workspace of two empty
 * folders opened from its .code-workspace file (test/host/multiRoot.test.ts only: adding a folder
 * to a running window restarts the extension host, so it needs a window of its own).
 * HOST_TEST_GREP naming "restricted" or "multi-root" runs only that one.
 * @param {import('playwright-core').Browser} browser
 */
export async function runMochaSuite(browser) {
  const grep = process.env.HOST_TEST_GREP;
  const restricted = !!grep && /restricted/i.test(grep);
  const multiRoot = !!grep && /multi-?root/i.test(grep);
  if (!restricted && !multiRoot) await runOnce(browser, 'mocha', false);
  if (!grep || restricted) await runOnce(browser, 'restricted', true);
  if (!grep || multiRoot) await runOnce(browser, 'multiroot', false, multiRootWorkspace());
}

/** Folders A and B (empty: the tests write their files) and the .code-workspace file that opens both. */
function multiRootWorkspace() {
  const dir = path.join(tmp, 'multiroot-workspace');
  for (const folder of ['A', 'B']) fs.mkdirSync(path.join(dir, folder), { recursive: true });
  const file = path.join(dir, 'two-folders.code-workspace');
  fs.writeFileSync(file, JSON.stringify({ folders: [{ path: 'A' }, { path: 'B' }] }, null, 2));
  return file;
}

/**
 * @param {import('playwright-core').Browser} browser
 * @param {string} name
 * @param {boolean} untrusted
 * @param {string} [workspaceFile] a .code-workspace file to open instead of a copy of examples/
 */
async function runOnce(browser, name, untrusted, workspaceFile) {
  const suite = untrusted ? 'restricted' : workspaceFile ? 'multiroot' : undefined;
  const resultsFile = path.join(tmp, `${name}-results.json`);
  const outputFile = path.join(tmp, `${name}-output.txt`);
  const server = await startServer(
    name,
    ['--extensions-dir', path.join(tmp, name, 'extensions')],
    {
      GRADIENT_LENS_TEST_RESULTS: resultsFile,
      GRADIENT_LENS_TEST_OUTPUT: outputFile,
      ...(suite ? { GRADIENT_LENS_TEST_SUITE: suite } : {}),
      ...(process.env.HOST_TEST_GREP && !suite ? { GRADIENT_LENS_TEST_GREP: process.env.HOST_TEST_GREP } : {}),
    },
    { trust: untrusted },
  );
  console.log(`VS Code server up after ${elapsed()} (port ${server.port})`);
  const remote = (/** @type {string} */ p) => `vscode-remote://127.0.0.1:${server.port}${p}`;
  const extensionPath = process.env.HOST_TEST_EXTENSION_PATH || root;
  const payload = [
    ['extensionDevelopmentPath', remote(extensionPath)],
    ['extensionTestsPath', remote(path.join(extensionPath, 'dist/test/host/index.js'))],
  ];
  const open = workspaceFile
    ? `workspace=${encodeURIComponent(workspaceFile)}`
    : `folder=${encodeURIComponent(makeWorkspace(name))}`;
  const url = `http://127.0.0.1:${server.port}/?${open}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const { page, consoleLines } = await newPage(browser);
  const pendingShot = path.join(tmp, `${name}-workbench.png`);
  /** @type {(code: unknown) => void} */
  let resolveExit = () => {};
  const exited = new Promise((r) => (resolveExit = r));
  await page.exposeFunction('codeAutomationLog', (/** @type {string} */ type, /** @type {unknown[]} */ args) => {
    if (verbose) console.log(`[workbench ${type}]`, ...args);
  });
  await page.exposeFunction('codeAutomationExit', async (/** @type {unknown} */ code) => {
    // The tests leave the trained panel open: that is the picture of the workbench we keep (if they pass).
    await page.screenshot({ path: pendingShot }).catch((e) => console.log(`screenshot failed: ${e}`));
    resolveExit(code);
  });
  try {
    await page.goto(url);
    const code = await withDeadline(exited, MOCHA_DEADLINE_MS, 'timeout');
    if (fs.existsSync(outputFile)) console.log(fs.readFileSync(outputFile, 'utf8').trimEnd());
    if (code === 'timeout') {
      await page.screenshot({ path: path.join(tmp, `${name}-workbench-timeout.png`) }).catch(() => {});
      keepScreenshot(path.join(tmp, `${name}-workbench-timeout.png`), `${name}-workbench-timeout.png`);
      console.log(consoleLines.slice(-40).join('\n'));
      record(`${name} suite`, false, `no end after ${MOCHA_DEADLINE_MS / 1000} s`);
      return;
    }
    /** @type {{ passed: number, failed: number, pending?: string[] } | null} */
    const results = fs.existsSync(resultsFile) ? JSON.parse(fs.readFileSync(resultsFile, 'utf8')) : null;
    if (!results) {
      console.log(server.log.join('').slice(-3000));
      record(`${name} suite`, false, `the extension host exited with ${code} without test results`);
      return;
    }
    recordMocha(results);
    if (results.passed + results.failed === 0) record(`${name} suite`, false, 'no tests ran');
    if (!suite && results.failed === 0 && results.passed > 0) keepScreenshot(pendingShot, 'host-workbench.png');
    console.log(
      `${name}: ${results.passed} passed, ${results.failed} failed, ${results.pending?.length ?? 0} pending (extension host exit code ${code}) at ${elapsed()}`,
    );
  } finally {
    await page.close().catch(() => {});
    server.stop();
  }
}
