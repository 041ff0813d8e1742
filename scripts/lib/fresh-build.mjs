// Tests run what is in dist/, so dist/ must be built from the sources as they are now: rebuild when
// any bundle is missing or older than any file it is built from. Used by every suite runner and by
// `npm run test:unit` (the CLI tests run dist/cli.js). Run directly: `node scripts/lib/fresh-build.mjs`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

/** What the build writes; each must be newer than every input. */
const OUTPUTS = ['dist/cli.js', 'dist/extension.js', 'dist/worker.js', 'dist/test/host/index.js', 'dist/webview/main.js'];
/** What the build reads (folders are walked). */
const INPUTS = [
  'src',
  'webview',
  'test/host',
  'bench',
  'media',
  'package.json',
  'scripts/build.mjs',
  'scripts/build-wasm.mjs',
  'scripts/build-digits.mjs',
];

/**
 * The newest modification time under `p` (0 when it does not exist). Generated files count too: the
 * build rewrites them before bundling.
 * @param {string} p
 * @returns {number}
 */
function newest(p) {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = 0;
  for (const e of readdirSync(p)) t = Math.max(t, newest(path.join(p, e)));
  return t;
}

/**
 * Why dist/ needs a build, or null when every output is newer than every input.
 * @param {string} [dir] the repository root
 * @returns {string | null}
 */
export function staleReason(dir = root) {
  const input = Math.max(...INPUTS.map((p) => newest(path.join(dir, p))));
  for (const out of OUTPUTS) {
    if (out === 'dist/webview/main.js' && !existsSync(path.join(dir, 'webview/main.ts'))) continue;
    const file = path.join(dir, out);
    if (!existsSync(file)) return `${out} is missing`;
    if (statSync(file).mtimeMs < input) return `${out} is older than its sources`;
  }
  return null;
}

/**
 * Builds when dist/ is stale; returns false (after printing why) when the build fails.
 * @param {string} [dir]
 * @returns {boolean}
 */
export function ensureFreshBuild(dir = root) {
  const why = staleReason(dir);
  if (!why) return true;
  console.log(`build: ${why}; building`);
  const r = spawnSync('npm', ['run', '-s', 'build'], { cwd: dir, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('build failed');
    return false;
  }
  const still = staleReason(dir);
  if (still) console.error(`build finished but ${still}`);
  return still === null;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  process.exit(ensureFreshBuild() ? 0 : 1);
}
