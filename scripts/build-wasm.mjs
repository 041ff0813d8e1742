// Assembles the kernel sources src/engine/wasm/kernels/*.wat (one file per kernel family, SIMD +
// bulk memory) into ONE WebAssembly module with the npm package `wabt`, written as
// src/engine/wasm/kernels.generated.ts, a TS module exporting the bytes as base64.
// Why one module: the kernels share helpers and one imported memory, and one instance per backend
// keeps calls direct. The files are concatenated in FAMILIES order between "(module" and ")";
// module.wat (the memory import and shared helpers) comes first.
// Why a generated .ts and not a .wasm file: tsx unit tests import src/*.ts directly and esbuild
// bundles it like any module, so both see the same bytes with no loader, fs or fetch (the engine must
// stay free of Node APIs). The output is generated, never checked in (it is in .gitignore).
// Idempotent: skips when the output already embeds the hash of the current sources.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const sourceDir = path.join(root, 'src/engine/wasm/kernels');
const output = path.join(root, 'src/engine/wasm/kernels.generated.ts');
const FAMILIES = [
  'module',
  'gemm',
  'transpose',
  'activations',
  'reductions',
  'optimizer',
  'conv',
  'pooling',
  'pool2x2',
  'sparse',
  'gramstats',
];

const present = readdirSync(sourceDir)
  .filter((f) => f.endsWith('.wat'))
  .map((f) => f.slice(0, -4))
  .sort();
const unlisted = present.filter((f) => !FAMILIES.includes(f));
if (unlisted.length > 0) {
  console.error(`build-wasm: add ${unlisted.map((f) => `${f}.wat`).join(', ')} to FAMILIES in scripts/build-wasm.mjs`);
  process.exit(1);
}

// Concatenate, remembering where each file starts so errors can name the file and its own line.
/** @type {string[]} */
const parts = [];
/** @type {{ family: string, line: number }[]} */
const starts = [];
let line = 2; // line 1 is "(module"
for (const family of FAMILIES) {
  const text = readFileSync(path.join(sourceDir, `${family}.wat`), 'utf8').replace(/\n*$/, '\n');
  starts.push({ family, line });
  parts.push(text);
  line += text.split('\n').length - 1;
}
const wat = `(module\n${parts.join('')})\n`;
// The FMA variant: every accumulation acc + x·y written as (f32x4.add (local.get acc) (f32x4.mul
// (local.get x) (local.get y))) becomes relaxed_madd (one fused multiply-add where the CPU has it).
// The backend uses it where the runtime validates relaxed SIMD, and keeps the plain module otherwise.
const MADD = /\(f32x4\.add \(local\.get (\$\w+)\) \(f32x4\.mul \(local\.get (\$\w+)\) \(local\.get (\$\w+)\)\)\)/g;
const fmaWat = wat.replace(MADD, '(f32x4.relaxed_madd (local.get $2) (local.get $3) (local.get $1))');
// the script itself is part of the input: it decides the variants
const hash = createHash('sha256')
  .update(wat)
  .update(readFileSync(new URL(import.meta.url)))
  .digest('hex')
  .slice(0, 16);
const marker = `// source-hash: ${hash}`;

if (existsSync(output) && readFileSync(output, 'utf8').includes(marker)) {
  process.exit(0);
}

/**
 * "kernels.wat:123:4" → "gemm.wat:45:4".
 * @param {unknown} message
 */
function locate(message) {
  return String(message).replace(/kernels\.wat:(\d+):(\d+)/g, (_, l, c) => {
    const n = Number(l);
    const file = [...starts].reverse().find((s) => s.line <= n);
    return file ? `src/engine/wasm/kernels/${file.family}.wat:${n - file.line + 1}:${c}` : `kernels.wat:${l}:${c}`;
  });
}

/**
 * @param {string} source the whole module's text
 * @param {{ relaxed_simd?: boolean, threads?: boolean }} features wabt features beyond SIMD and bulk memory
 * @returns {Uint8Array}
 */
function build(source, features) {
  let module;
  try {
    module = wabt.parseWat('kernels.wat', source, { simd: true, bulk_memory: true, ...features });
    module.resolveNames();
    // wabt 1.0.39's validator rejects shared memories even with `threads` on; the shared variants
    // differ from the validated unshared ones only in the import, and Node validates them below.
    if (!features.threads) module.validate();
  } catch (e) {
    console.error(`build-wasm: the kernels do not assemble:\n${locate(e instanceof Error ? e.message : e)}`);
    process.exit(1);
  }
  const { buffer } = module.toBinary({ log: false, write_debug_names: false });
  module.destroy();
  return buffer;
}

const wabt = await (await import('wabt')).default();
// The shared-memory variants (for two threads over one memory) import the memory as shared; its
// maximum bounds what a backend may reserve (2 GiB, as WasmBackendOptions.initialBytes).
const SHARED_IMPORT = '(import "env" "memory" (memory 1 32768 shared))';
/** @param {string} source */
const share = (source) => {
  const out = source.replace('(import "env" "memory" (memory 1))', SHARED_IMPORT);
  if (out === source) throw new Error('build-wasm: module.wat no longer has the memory import this script rewrites');
  return out;
};
const variants = {
  plain: build(wat, {}),
  fma: build(fmaWat, { relaxed_simd: true }),
  plainShared: build(share(wat), { threads: true }),
  fmaShared: build(share(fmaWat), { relaxed_simd: true, threads: true }),
};
const fused = (fmaWat.match(/relaxed_madd/g) ?? []).length;
if (!WebAssembly.validate(new Uint8Array(variants.plainShared))) {
  console.error('build-wasm: the shared-memory variant does not validate');
  process.exit(1);
}

const text = `// GENERATED by scripts/build-wasm.mjs from src/engine/wasm/kernels/*.wat — do not edit, do not commit.
${marker}
/**
 * The assembled kernels (WebAssembly SIMD), base64: plain, with ${fused} accumulations as relaxed-SIMD
 * fused multiply-adds (fma), and both again importing a shared memory (for two threads).
 */
export const KERNEL_MODULES_BASE64 = {
${Object.entries(variants)
  .map(([k, b]) => `  ${k}: '${Buffer.from(b).toString('base64')}',`)
  .join('\n')}
} as const;
`;
writeFileSync(output, text);
// stderr: `npm run bench` prints its JSON result on stdout right after the build
console.error(
  `build-wasm: kernels/*.wat → kernels.generated.ts (${variants.plain.length} bytes; FMA, shared and shared FMA variants, ${fused} fused)`,
);
