// The webview suite: the real bundle (dist/webview, rebuilt first when stale) in headless Debian
// Chromium, under node's test runner: test/webview/*.test.ts (the panel's views; the CSP as an
// attacker meets it). Prints the SUITE-RESULT protocol of scripts/test.mjs.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ensureFreshBuild } from './lib/fresh-build.mjs';
import { nodeTestCommand, testFiles } from './lib/node-test.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(root);
if (!ensureFreshBuild(root)) {
  console.log('SUITE-RESULT webview passed=0 failed=1');
  process.exit(1);
}
const [cmd, ...args] = nodeTestCommand(testFiles('test/webview'));
const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
