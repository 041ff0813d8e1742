// Phases 2 and 3: `npm run package` builds gradient-lens.vsix (< 5 MB, with what the extension needs and
// no development files), and the server CLI installs it (--install-extension).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { node24, record, root, serverMain, tmp } from './env.mjs';

const require = createRequire(import.meta.url);

export const VSIX = process.env.HOST_TEST_VSIX || path.join(root, 'gradient-lens.vsix');
const VSIX_LIMIT = 5 * 1024 * 1024;
const VSIX_REQUIRED = [
  'extension/package.json',
  'extension/LICENSE.txt',
  'extension/dist/extension.js',
  'extension/dist/worker.js',
  'extension/media/icon.svg',
  'extension/schemas/gradlens.schema.json',
  // The webview bundle, once its source is part of the repository.
  ...(fs.existsSync(path.join(root, 'webview', 'main.ts')) ? ['extension/dist/webview/main.js'] : []),
];
/** The server CLI installs in seconds; a loaded machine may need minutes. */
const INSTALL_DEADLINE_MS = 600_000;

/**
 * The file names inside a zip.
 * @param {string} file
 * @returns {Promise<string[]>}
 */
function listZip(file) {
  /** @type {{ open: (f: string, o: object, cb: (err: Error | null, zip: any) => void) => void }} */
  const yauzl = require('yauzl');
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      /** @type {string[]} */
      const names = [];
      zip.on('entry', (/** @type {{ fileName: string }} */ e) => {
        names.push(e.fileName);
        zip.readEntry();
      });
      zip.on('end', () => resolve(names));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/** Builds and inspects the .vsix; true when it is fit to install. */
export async function checkVsix() {
  fs.rmSync(VSIX, { force: true });
  const r = spawnSync('npm', ['run', '-s', 'package'], { encoding: 'utf8' });
  if (r.status !== 0 || !fs.existsSync(VSIX)) {
    record('npm run package builds gradient-lens.vsix', false, (r.stdout + r.stderr).slice(-2000));
    return false;
  }
  const size = fs.statSync(VSIX).size;
  const names = await listZip(VSIX);
  const missing = VSIX_REQUIRED.filter((n) => !names.includes(n));
  const digits = names.some((n) => n.startsWith('extension/media/digits'));
  const stray = names.filter((n) => /^extension\/(src|test|node_modules\/(?!@vscode\/codicons)|scripts|bench)\//.test(n));
  const problems = [
    size >= VSIX_LIMIT ? `${(size / 1048576).toFixed(2)} MB is not under 5 MB` : '',
    missing.length ? `missing ${missing.join(', ')}` : '',
    digits ? '' : 'no built-in digits under media/',
    stray.length ? `ships development files: ${stray.slice(0, 5).join(', ')}` : '',
  ].filter(Boolean);
  record(
    'npm run package: gradient-lens.vsix < 5 MB with extension, worker, webview, digits, schema',
    problems.length === 0,
    problems.join('; ') || `${(size / 1048576).toFixed(2)} MB, ${names.length} files`,
  );
  return problems.length === 0;
}

/**
 * Installs the .vsix into `extensionsDir` with the server's own CLI; true when it is there.
 * @param {string} extensionsDir
 */
export function installVsix(extensionsDir) {
  const r = spawnSync(
    node24,
    [serverMain, '--install-extension', VSIX, '--extensions-dir', extensionsDir, '--accept-server-license-terms'],
    { encoding: 'utf8', timeout: INSTALL_DEADLINE_MS },
  );
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const dir = path.join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  const ok = r.status === 0 && fs.existsSync(path.join(dir, 'dist', 'extension.js'));
  record(
    'the server CLI installs the .vsix (--install-extension)',
    ok,
    ok
      ? path.relative(tmp, dir)
      : `exit ${r.status}${r.error ? ` (${r.error.message})` : ''}: ${(r.stdout + r.stderr).slice(-1500)}`,
  );
  return ok;
}
