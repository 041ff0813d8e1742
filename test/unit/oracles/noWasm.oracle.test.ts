// A JavaScript runtime with no WebAssembly at all (V8's --no-expose-wasm, as in locked-down hosts):
// every choice falls back to the plain TypeScript reference backend on one thread, says why in
// words. Run in a child process (noWasmChild.ts), since the flag must be set before start-up.
// (It is the only way to reach chooseBackend's reference-fallback reason: in this Node the WASM
// backend always loads.)
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../../..');

const CHILD = path.join(__dirname, 'noWasmChild.ts');

test('with no WebAssembly: the reference backend, one thread, and the reason in words (async and sync, 1 and 2 threads asked for)', () => {
  const stdout = execFileSync(process.execPath, ['--no-expose-wasm', '--import', 'tsx', CHILD], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [kind, ...choices] = JSON.parse(stdout.trim().split('\n').pop()!) as [string, ...[string, number, string][]];
  assert.equal(kind, 'undefined', 'the child really has no WebAssembly');
  assert.equal(choices.length, 4);
  for (const c of choices)
    assert.deepEqual(c, [
      'reference-float32',
      1,
      'WASM kernels unavailable (this JavaScript runtime has no WebAssembly); using plain TypeScript',
    ]);
});
