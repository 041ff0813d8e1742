// The README's test command (`npm test`, or `node scripts/test.mjs [suite…]`): sets up, builds,
// typechecks and lints, then runs every suite (or the named ones) and ends with one line
// `N passed, N failed` summing all of them. Exit code 0 only if nothing failed, skipped or went missing.
//   unit     node's test runner on test/unit (engine, model, data, CLI, the runner's own rules)
//   webview  the real webview bundle in headless Chromium, fed recorded message sequences; the CSP
//   host     the real VS Code (Node) extension host, from the VS Code server in code-server
// Each suite prints `SUITE-RESULT <label> passed=N failed=N [skipped=N]`; the rules are in
// scripts/lib/suite-runner.mjs.
import * as path from 'node:path';
import { runSuites } from './lib/suite-runner.mjs';
import { nodeTestCommand, testFiles } from './lib/node-test.mjs';
import { HOST_TEST_ONLY_ENV } from './lib/test-only-env.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(root);

/** @type {import('./lib/suite-runner.mjs').Suite[]} */
const suites = [
  { name: 'setup', cmd: ['bash', 'scripts/setup-test-tools.sh'], counts: false, required: true },
  { name: 'build', cmd: ['npm', 'run', '-s', 'build'], counts: false, required: true },
  { name: 'typecheck', cmd: ['npm', 'run', '-s', 'typecheck'], counts: false },
  { name: 'lint', cmd: ['npm', 'run', '-s', 'lint'], counts: false },
  { name: 'format', cmd: ['npm', 'run', '-s', 'format:check'], counts: false },
  { name: 'unit', cmd: nodeTestCommand(testFiles('test/unit')) },
  { name: 'webview', cmd: [process.execPath, 'scripts/run-webview-tests.mjs'], needs: 'scripts/run-webview-tests.mjs' },
  { name: 'host', cmd: [process.execPath, 'scripts/run-host-tests.mjs'], needs: 'scripts/run-host-tests.mjs' },
];

/** Variables that narrow or redirect what the suites test: for working on a harness, never in CI. */
const TEST_ONLY_ENV = [...HOST_TEST_ONLY_ENV, 'GRADIENT_LENS_TEST_GREP'];

/** The README's screenshots are the tests' own. */
const SCREENSHOTS = [
  'ui-train.png',
  'ui-debug-stopped.png',
  'host-workbench.png',
  'webview-loss.png',
  'webview-heatmap.png',
  'webview-per-example.png',
  'webview-health.png',
  'webview-histograms.png',
  'webview-sidebar.png',
  'webview-light.png',
  'webview-compare.png',
  'webview-walkthrough.png',
  'webview-answers.png',
  'webview-network.png',
  'webview-repeat.png',
  'webview-problems.png',
  'webview-ranks.png',
  'webview-ranks-uneven.png',
  'webview-watch.png',
  'webview-watch-batchnorm.png',
  'webview-panel-480-dark.png',
  'webview-panel-480-light.png',
  'webview-panel-1200-dark.png',
  'webview-panel-1200-light.png',
];

process.exit(
  await runSuites({
    suites,
    only: process.argv.slice(2),
    // A test skipped on purpose is listed here by its exact SUITE-SKIP text, with the reason; none today.
    intendedSkips: [],
    testOnlyEnv: TEST_ONLY_ENV,
    resultsDir: path.join(root, 'test-results'),
    publish: { to: path.join(root, 'docs', 'images'), files: SCREENSHOTS },
  }),
);
