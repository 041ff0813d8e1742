// Entry of the host suite, bundled to dist/test/host/index.js (mocha stays external).
//   * scripts/run-host-tests.mjs (VS Code server's Node extension host): VS Code calls run(), which
//     builds a mocha runner, writes the reporter output to $GRADIENT_LENS_TEST_OUTPUT and the counts
//     (with pending tests by name) to $GRADIENT_LENS_TEST_RESULTS (the host's stdout is not visible there).
//   * @vscode/test-cli (.vscode-test.mjs): the file is loaded into test-cli's own mocha, whose tdd
//     globals already exist, so the tests register at load.
import * as fs from 'node:fs';
import { format } from 'node:util';
import Mocha from 'mocha';

/** Every host test file; each registers its suites when loaded (needs mocha's tdd globals). */
function loadTests(): void {
  // The harness's second run opens the workspace untrusted: only the Restricted Mode suite runs there.
  if (process.env.GRADIENT_LENS_TEST_SUITE === 'restricted') {
    require('./restricted.test');
    return;
  }
  // The third opens a .code-workspace with two folders: only the multi-root suite runs there.
  if (process.env.GRADIENT_LENS_TEST_SUITE === 'multiroot') {
    require('./multiRoot.test');
    return;
  }
  require('./training.test');
  require('./editor.test');
  require('./compare.test');
  require('./torch.test');
  require('./torchWatch.test');
  require('./debug.test');
  require('./debugPanel.test');
  require('./newcomer.test');
  require('./dataSafety.test');
  require('./threads.test');
}

if (typeof (globalThis as { suite?: unknown }).suite === 'function') loadTests();

export function run(): Promise<void> {
  const outFile = process.env.GRADIENT_LENS_TEST_OUTPUT;
  const base = Mocha.reporters.Base as unknown as { consoleLog: (...a: unknown[]) => void };
  if (outFile) {
    fs.writeFileSync(outFile, '');
    const original = base.consoleLog;
    base.consoleLog = (...args: unknown[]) => {
      fs.appendFileSync(outFile, format(...args) + '\n');
      original(...args);
    };
  }
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 300_000, reporter: 'spec' });
  if (process.env.GRADIENT_LENS_TEST_GREP) mocha.grep(new RegExp(process.env.GRADIENT_LENS_TEST_GREP));
  mocha.suite.emit('pre-require', globalThis, 'dist/test/host/index.js', mocha);
  loadTests();
  return new Promise((resolve, reject) => {
    // A pending test (test.skip, or a test without a body) is not a pass: the harness names it.
    const pending: string[] = [];
    const runner = mocha.run((failures) => {
      const resultsFile = process.env.GRADIENT_LENS_TEST_RESULTS;
      if (resultsFile) {
        fs.writeFileSync(resultsFile, JSON.stringify({ passed: runner.stats?.passes ?? 0, failed: failures, pending }));
      }
      if (failures > 0) reject(new Error(`${failures} host tests failed.`));
      else resolve();
    });
    runner.on('pending', (t) => pending.push(t.fullTitle()));
  });
}
