// The webview suite: the real bundle (dist/webview, built by `npm run build`) in headless Debian
// Chromium, under node's test runner. See test/webview/panel.test.ts.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', 'test/webview/panel.test.ts'], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
