// Builds everything the extension, the CLI, the tests and the benchmarks need:
//   1. generated assets (WASM kernels from WAT, the built-in digits under media/)
//   2. esbuild bundles into dist/
// Each generator and bundle is skipped while its source does not exist yet, so the build
// grows with the project. `--watch` is deliberately absent: CI and users run it once.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(root);

// 1. Generated assets: each is a node script that is idempotent and fast when up to date.
for (const gen of ['scripts/build-wasm.mjs', 'scripts/build-digits.mjs']) {
  if (!existsSync(gen)) continue;
  const r = spawnSync(process.execPath, [gen], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

// 2. Bundles.
// jsonc-parser's UMD build requires files esbuild cannot see: prefer ES modules everywhere.
/** @type {Omit<esbuild.BuildOptions, 'entryPoints'>} */
const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  mainFields: ['module', 'main'],
};
/** @type {(esbuild.BuildOptions & { entryPoints: string[] })[]} */
const bundles = [
  { entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, ...node },
  { entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'], ...node },
  { entryPoints: ['src/session/worker.ts'], outfile: 'dist/worker.js', ...node },
  { entryPoints: ['bench/index.ts'], outfile: 'dist/bench.js', external: ['@tensorflow/*'], ...node },
  { entryPoints: ['bench/hostLag.ts'], outfile: 'dist/bench/hostLag.js', external: ['vscode'], ...node },
  {
    entryPoints: ['test/host/index.ts'],
    outfile: 'dist/test/host/index.js',
    external: ['vscode', 'mocha'],
    ...node,
  },
  {
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview/main.js',
    bundle: true,
    platform: 'browser',
    target: 'chrome114',
    format: 'iife',
    sourcemap: true,
    minify: true,
    logLevel: 'warning',
    loader: { '.ttf': 'file' },
  },
];
// The webviews load codicons from our own dist/ (localResourceRoots stays dist/webview only).
mkdirSync('dist/webview/codicons', { recursive: true });
for (const f of ['codicon.css', 'codicon.ttf'])
  copyFileSync(`node_modules/@vscode/codicons/dist/${f}`, `dist/webview/codicons/${f}`);

const t0 = Date.now();
await Promise.all(bundles.filter((b) => existsSync(b.entryPoints[0])).map((b) => esbuild.build(b)));
console.log(`build: ${bundles.filter((b) => existsSync(b.entryPoints[0])).length} bundles in ${Date.now() - t0} ms`);
