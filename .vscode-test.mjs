// @vscode/test-cli configuration: the same host suite as scripts/run-host-tests.mjs, in desktop VS Code
// wherever it can be downloaded (`npx vscode-test` after `npm run build`). This machine cannot download
// VS Code desktop; CI runs the suite in the VS Code server from code-server (scripts/run-host-tests.mjs).
// The bundle registers its tests at load when mocha's `suite`/`test` globals exist (as here).
import { defineConfig } from '@vscode/test-cli';

export default defineConfig({
  label: 'host',
  files: 'dist/test/host/index.js',
  workspaceFolder: './examples',
  mocha: { ui: 'tdd', timeout: 120000 },
  launchArgs: ['--disable-extensions', '--disable-workspace-trust'],
});
