// The rules of `npm test`, kept apart from the list of suites (scripts/test.mjs) so they can be tested
// on fixture suites (test/unit/scripts). A run that cannot lie:
//   * an unknown suite name, or a suite whose runner file is missing, fails the run;
//   * a suite must print `SUITE-RESULT <label> passed=N failed=N [skipped=N]` (one or more lines);
//     no such line, zero tests, or an exit code that disagrees with its counts fails the run;
//   * a skipped, todo or pending test (`SUITE-SKIP <label> <what>`) fails the run unless it is listed as
//     intended; intended ones are named in the closing lines;
//   * under CI=true, test-only environment variables (which narrow or redirect what is tested) are refused;
//   * test-results/ is emptied first, and screenshots are published only from a run that passed.
// The last line is always `N passed, N failed`; the exit code is 0 exactly when N failed is 0.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';

/**
 * @typedef {object} Suite
 * @property {string} name
 * @property {string[]} cmd
 * @property {boolean} [counts] false for steps (build, typecheck, lint) that run no tests but must pass
 * @property {boolean} [required] a failure stops the run (nothing after it can work)
 * @property {string} [needs] the runner file; missing fails the suite
 *
 * @typedef {object} IntendedSkip
 * @property {string} test the exact `SUITE-SKIP` text after the label
 * @property {string} why
 *
 * @typedef {object} RunOptions
 * @property {Suite[]} suites
 * @property {string[]} only suite names given on the command line (empty: all)
 * @property {IntendedSkip[]} [intendedSkips]
 * @property {string[]} [testOnlyEnv] variables refused under CI=true
 * @property {NodeJS.ProcessEnv} [env]
 * @property {string} [resultsDir] emptied before the suites run
 * @property {{ to: string, files: string[] }} [publish] screenshots copied from resultsDir after a passing run
 * @property {(line: string) => void} [log]
 *
 * @typedef {object} SuiteOutcome
 * @property {number} passed
 * @property {number} failed
 * @property {string[]} skips
 * @property {string[]} problems
 */

/**
 * Parses what a suite printed.
 * @param {string} out
 * @returns {{ results: number, passed: number, failed: number, skipped: number, skips: string[] }}
 */
export function parseSuiteOutput(out) {
  let results = 0,
    passed = 0,
    failed = 0,
    skipped = 0;
  for (const m of out.matchAll(/^SUITE-RESULT \S+ passed=(\d+) failed=(\d+)(?: skipped=(\d+))?\s*$/gm)) {
    results++;
    passed += Number(m[1]);
    failed += Number(m[2]);
    skipped += Number(m[3] ?? 0);
  }
  const skips = [...out.matchAll(/^SUITE-SKIP \S+ (.+)$/gm)].map((m) => m[1].trim());
  return { results, passed, failed, skipped, skips };
}

/**
 * Judges one counting suite from its exit code and output.
 * @param {number} code
 * @param {string} out
 * @param {IntendedSkip[]} intended
 * @returns {SuiteOutcome & { intended: string[] }}
 */
export function judgeSuite(code, out, intended) {
  const r = parseSuiteOutput(out);
  /** @type {string[]} */
  const problems = [];
  let failed = r.failed;
  if (r.results === 0) problems.push('printed no SUITE-RESULT line');
  else if (r.passed + r.failed + r.skipped === 0) problems.push('ran no test');
  if (r.skipped !== r.skips.length) problems.push(`counted ${r.skipped} skipped but named ${r.skips.length}`);
  const allowed = new Set(intended.map((i) => i.test));
  const unexpected = r.skips.filter((s) => !allowed.has(s));
  if (unexpected.length) problems.push(`${unexpected.length} skipped/todo/pending test(s)`);
  if (code !== 0 && failed === 0 && problems.length === 0) problems.push(`exit code ${code} with no failed test`);
  if (code === 0 && failed > 0) problems.push(`exit code 0 with ${failed} failed test(s)`);
  // Each problem counts as a failure, so the closing line never reads "0 failed" for a broken suite.
  failed += problems.length;
  return { passed: r.passed, failed, skips: unexpected, intended: r.skips.filter((s) => allowed.has(s)), problems };
}

/**
 * Runs a command, echoing its stdout as it comes and collecting it.
 * @param {string[]} cmd
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<{ code: number, out: string }>}
 */
function run(cmd, env) {
  return new Promise((resolve) => {
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], env });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.on('error', (e) => resolve({ code: 127, out: `${out}\n${e.message}` }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), out }));
  });
}

/**
 * Runs the selected suites; returns the exit code. The closing line is `N passed, N failed`.
 * @param {RunOptions} o
 * @returns {Promise<number>}
 */
export async function runSuites(o) {
  const log = o.log ?? ((line) => console.log(line));
  const env = o.env ?? process.env;
  const intended = o.intendedSkips ?? [];
  const known = o.suites.filter((s) => s.counts !== false).map((s) => s.name);
  const unknown = o.only.filter((n) => !known.includes(n));
  const close = (/** @type {number} */ passed, /** @type {number} */ failed) => {
    log(`${passed} passed, ${failed} failed`);
    return failed === 0 ? 0 : 1;
  };
  if (unknown.length) {
    for (const n of unknown) log(`unknown suite "${n}" (known: ${known.join(', ')})`);
    return close(0, unknown.length);
  }
  if (env.CI === 'true' || env.CI === '1') {
    const set = (o.testOnlyEnv ?? []).filter((v) => env[v] !== undefined && env[v] !== '');
    if (set.length) {
      for (const v of set) log(`refused under CI: ${v}=${env[v]} (a test-only variable that narrows or redirects the tests)`);
      return close(0, set.length);
    }
  }
  if (o.resultsDir) {
    rmSync(o.resultsDir, { recursive: true, force: true });
    mkdirSync(o.resultsDir, { recursive: true });
  }

  const selected = o.suites.filter((s) => s.counts === false || o.only.length === 0 || o.only.includes(s.name));
  let passed = 0,
    failed = 0;
  /** @type {string[]} */ const broken = [];
  /** @type {string[]} */ const skips = [];
  /** @type {string[]} */ const intendedSeen = [];
  for (const s of selected) {
    log(`\n=== ${s.name}`);
    const t0 = Date.now();
    if (s.needs && !existsSync(s.needs)) {
      log(`=== ${s.name}: its runner ${s.needs} is missing`);
      broken.push(`${s.name} (runner ${s.needs} missing)`);
      failed++;
      continue;
    }
    const { code, out } = await run(s.cmd, env);
    const seconds = ((Date.now() - t0) / 1000).toFixed(1);
    if (s.counts === false) {
      log(`=== ${s.name}: exit ${code}, ${seconds} s`);
      if (code !== 0) {
        broken.push(`${s.name} (exit ${code})`);
        failed++;
        if (s.required) break;
      }
      continue;
    }
    const j = judgeSuite(code, out, intended);
    passed += j.passed;
    failed += j.failed;
    skips.push(...j.skips.map((x) => `${s.name}: ${x}`));
    intendedSeen.push(...j.intended.map((x) => `${s.name}: ${x}`));
    if (j.problems.length || j.failed) broken.push(`${s.name}${j.problems.length ? ` (${j.problems.join('; ')})` : ''}`);
    log(`=== ${s.name}: exit ${code}, ${j.passed} passed, ${j.failed} failed, ${seconds} s`);
  }

  if (failed === 0 && o.publish && o.resultsDir) {
    mkdirSync(o.publish.to, { recursive: true });
    const copied = o.publish.files.filter((f) => existsSync(path.join(/** @type {string} */ (o.resultsDir), f)));
    for (const f of copied) copyFileSync(path.join(o.resultsDir, f), path.join(o.publish.to, f));
    if (copied.length) log(`screenshots published to ${o.publish.to}: ${copied.length}`);
  } else if (o.publish) {
    log('screenshots not published: the run did not pass');
  }
  for (const x of intendedSeen) log(`intended skip: ${x} (${intended.find((i) => x.endsWith(i.test))?.why ?? ''})`);
  for (const x of skips) log(`not run: ${x}`);
  if (broken.length) log(`failed: ${broken.join(', ')}`);
  return close(passed, failed);
}
