// The real-extension-host suite. Runs Gradient Lens in VS Code's Node extension host (the VS Code
// server bundled in the npm package code-server), with the workbench in Debian Chromium driven by
// playwright-core. One job per file under scripts/host/:
//   mocha.mjs  1. test/host/*.test.ts through VS Code's own extension-test mechanism
//   vsix.mjs   2. `npm run package` → gradient-lens.vsix; 3. the server CLI installs it
//   ui.mjs     4. a fresh workbench with only the installed .vsix, driven like a user (uiDebug.mjs: the debugger)
//   server.mjs the server, the browser, scratch workspaces; workbench.mjs the UI steps;
//   env.mjs    paths, switches (documented there) and the tally; wait.mjs condition waits
// Prints `SUITE-RESULT host passed=N failed=N skipped=N` (scripts/test.mjs); exit code 1 when anything failed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureFreshBuild } from './lib/fresh-build.mjs';
import {
  PHASES,
  chromiumBin,
  elapsed,
  finish,
  node24,
  record,
  recordSkip,
  refusedUnderCi,
  resultsDir,
  root,
  serverMain,
  skip,
  tmp,
} from './host/env.mjs';
import { runMochaSuite } from './host/mocha.mjs';
import { launchBrowser } from './host/server.mjs';
import { uiTrain } from './host/ui.mjs';
import { uiDebug } from './host/uiDebug.mjs';
import { checkVsix, installVsix } from './host/vsix.mjs';

process.chdir(root);

/** Stops before anything runs: counts one failure and prints the tally. */
function refuse(/** @type {string} */ why) {
  console.error(`run-host-tests: ${why}`);
  record('host suite prerequisites', false, why);
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(finish());
}

const refused = refusedUnderCi();
if (refused.length) refuse(`refused under CI: ${refused.join(', ')} (test-only variables)`);
for (const [what, file, fix] of [
  ['Node 24', node24, 'run scripts/install-code-server.sh'],
  ['the VS Code server', serverMain, 'run scripts/install-code-server.sh'],
  ['Chromium', chromiumBin, 'apt-get install chromium'],
]) {
  if (!fs.existsSync(file)) refuse(`${what} is missing (${file}); ${fix}`);
}
const unknownPhases = [...skip].filter((p) => !PHASES.includes(p));
if (unknownPhases.length)
  refuse(`HOST_TEST_SKIP names unknown phases: ${unknownPhases.join(', ')} (known: ${PHASES.join(', ')})`);
if (!process.env.HOST_TEST_EXTENSION_PATH && !ensureFreshBuild(root)) refuse('the build failed');
fs.mkdirSync(resultsDir, { recursive: true });

const browser = await launchBrowser();
try {
  if (skip.has('mocha')) recordSkip('phase mocha (HOST_TEST_SKIP)');
  else await runMochaSuite(browser);
  let vsixOk = !!process.env.HOST_TEST_VSIX;
  if (skip.has('vsix')) recordSkip('phase vsix (HOST_TEST_SKIP)');
  else if (!vsixOk) vsixOk = await checkVsix();
  const extensionsDir = path.join(tmp, 'installed-extensions');
  let installed = false;
  if (skip.has('install')) recordSkip('phase install (HOST_TEST_SKIP)');
  else if (vsixOk) installed = installVsix(extensionsDir);
  if (skip.has('ui')) recordSkip('phase ui (HOST_TEST_SKIP)');
  else if (installed) {
    await uiTrain(browser, extensionsDir);
    await uiDebug(browser, extensionsDir);
  } else record('UI check with the installed .vsix', false, 'not run: the .vsix did not build or install');
} catch (e) {
  record('host suite harness', false, String(e instanceof Error ? e.stack : e));
} finally {
  await browser.close().catch(() => {});
  if (process.env.KEEP_TMP === '1') console.log(`kept ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(`host suite finished in ${elapsed()}`);
process.exit(finish());
