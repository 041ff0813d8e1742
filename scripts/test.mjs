// The README's test command (`npm test`): builds, then runs every suite in turn and ends with
// one line `N passed, N failed` summing all of them. Exit code 0 only if every suite passed.
//   unit     node's test runner on test/unit (engine, model, data, CLI)
//   webview  the real webview bundle in headless Chromium, fed recorded message sequences
//   host     the real VS Code (Node) extension host, from the VS Code server in code-server
// Each suite runner prints a line `SUITE-RESULT <name> passed=N failed=N`.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(root);
const only = process.argv.slice(2);

const suites = [
  { name: 'setup', cmd: ['bash', 'scripts/setup-test-tools.sh'], counts: false },
  { name: 'build', cmd: ['npm', 'run', '-s', 'build'], counts: false },
  { name: 'typecheck', cmd: ['npm', 'run', '-s', 'typecheck'], counts: false },
  { name: 'unit', cmd: ['npm', 'run', '-s', 'test:unit'] },
  { name: 'webview', cmd: [process.execPath, 'scripts/run-webview-tests.mjs'], needs: 'scripts/run-webview-tests.mjs' },
  { name: 'host', cmd: [process.execPath, 'scripts/run-host-tests.mjs'], needs: 'scripts/run-host-tests.mjs' },
].filter((s) => (!s.needs || existsSync(s.needs)) && (only.length === 0 || only.includes(s.name) || s.counts === false));

function run(cmd) {
  return new Promise((resolve) => {
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

let passed = 0, failed = 0, broken = [];
for (const s of suites) {
  console.log(`\n=== ${s.name}`);
  const t0 = Date.now();
  const { code, out } = await run(s.cmd);
  let p = 0, f = 0;
  // node --test (spec reporter) summary lines
  const np = out.match(/^ℹ pass (\d+)/m), nf = out.match(/^ℹ fail (\d+)/m);
  if (np) { p = +np[1]; f = nf ? +nf[1] : 0; }
  for (const m of out.matchAll(/^SUITE-RESULT \S+ passed=(\d+) failed=(\d+)/gm)) { p += +m[1]; f += +m[2]; }
  passed += p; failed += f;
  if (code !== 0) { broken.push(s.name); if (s.counts !== false && f === 0) failed += 1; }
  console.log(`=== ${s.name}: exit ${code}, ${p} passed, ${f} failed, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (code !== 0 && s.counts === false) break;
}
// The README's screenshots are the tests' own: refresh docs/images/ from this run.
const shots = ['ui-train.png', 'host-workbench.png', 'webview-loss.png', 'webview-heatmap.png', 'webview-per-example.png',
  'webview-health.png', 'webview-histograms.png', 'webview-sidebar.png', 'webview-light.png', 'webview-compare.png', 'webview-walkthrough.png'];
mkdirSync('docs/images', { recursive: true });
for (const f of shots) if (existsSync(`test-results/${f}`)) copyFileSync(`test-results/${f}`, `docs/images/${f}`);

if (broken.length) console.log(`failed suites: ${broken.join(', ')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(broken.length ? 1 : 0);
