// The WASM backend's memory placement (src/engine/wasm/arena.ts) on real WebAssembly memories: the
// byte offsets alloc hands out (16-byte aligned from byte 128), how far the memory grows (by at least
// half its size, never past its maximum), when it refuses and what it says, and the copy path for
// arrays outside the memory. Every offset and size below is worked out by hand from those rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena, PAGE_BYTES, checkLength } from '../../../src/engine/wasm/arena';
import { wasmApi, type WasmMemory } from '../../../src/engine/wasm/wasmApi';

const PAGE = 65536;
function memory(initial: number, maximum: number, shared = true): WasmMemory {
  return new (wasmApi().Memory)({ initial, maximum, shared });
}

test('alloc hands out 16-byte aligned views from byte 128, zeroed, and counts the bytes', () => {
  assert.equal(PAGE_BYTES, PAGE);
  const arena = new Arena(memory(1, 4), true, 4 * PAGE);
  assert.equal(arena.memoryInfo().allocatedBytes, 128);
  // dirty the scratch above the allocations: a later alloc there must come back zeroed
  arena.f32.fill(3, 32, 64);
  const a = arena.alloc(1),
    b = arena.alloc(5),
    c = arena.alloc(0),
    d = arena.alloc(3);
  assert.deepEqual(
    [a, b, c, d].map((x) => [x.byteOffset, x.length]),
    [
      [128, 1],
      [144, 5],
      [176, 0],
      [176, 3],
    ],
  );
  assert.deepEqual([...b], [0, 0, 0, 0, 0]);
  assert.ok(arena.inside(a) && arena.inside(d));
  assert.equal(arena.inside(new Float32Array(4)), false);
  assert.equal(arena.inside(new Float64Array(arena.buffer, 128, 1) as unknown as Float32Array), false);
  assert.deepEqual(arena.memoryInfo(), {
    reservedBytes: PAGE,
    allocatedBytes: 192,
    outsideAllocs: 0,
    copyCalls: 0,
    grows: 0,
    shared: true,
  });
  for (const bad of [-1, 1.5, NaN])
    assert.throws(() => arena.alloc(bad), { message: `alloc: length must be a non-negative integer, got ${bad}` });
});

test('a shared memory grows by half its size, or to what is needed when that is more, and never past its maximum', () => {
  const mem = memory(4, 16);
  const arena = new Arena(mem, true, 16 * PAGE);
  const first = arena.alloc(4);
  first.set([1, 2, 3, 4]);
  // 128 + 16 + 4·65536 bytes: past the 4 pages, so 1.5 × 4 = 6 pages
  const big = arena.alloc(PAGE);
  assert.equal(arena.memoryInfo().reservedBytes, 6 * PAGE);
  assert.equal(arena.memoryInfo().grows, 1);
  assert.equal(big.byteOffset, 144);
  assert.ok(arena.inside(big) && arena.inside(first), 'views from before and after the growth are inside');
  assert.deepEqual([...first], [1, 2, 3, 4], 'an earlier view keeps its values');
  assert.equal(arena.f32.length, (6 * PAGE) / 4, 'the float view covers the grown memory');
  // now at 262 288 of 393 216 bytes: 589 792 more (to 852 080) is more than half (9 pages): exactly
  // the pages needed, 14
  const huge = arena.alloc((PAGE * 9) / 4 - 8);
  assert.equal(huge.byteOffset, 144 + 4 * PAGE);
  assert.equal(arena.memoryInfo().reservedBytes, 14 * PAGE);
  assert.equal(arena.memoryInfo().grows, 2);
  // past the maximum: an ordinary array, counted, and no growth
  const outside = arena.alloc(PAGE);
  assert.equal(arena.inside(outside), false);
  assert.equal(outside.length, PAGE);
  assert.deepEqual(
    [arena.memoryInfo().outsideAllocs, arena.memoryInfo().grows, arena.memoryInfo().reservedBytes],
    [1, 2, 14 * PAGE],
  );
});

test('growth by half stops at the maximum: it grows to the maximum when the need fits under it', () => {
  const arena = new Arena(memory(4, 5), true, 5 * PAGE);
  // 1.5 × 4 pages would be 6, past the 5 allowed: 5
  const v = arena.alloc(PAGE + 4);
  assert.ok(arena.inside(v));
  assert.deepEqual([arena.memoryInfo().reservedBytes, arena.memoryInfo().grows], [5 * PAGE, 1]);
});

test('a memory the runtime refuses to grow gives ordinary arrays (the copy path), not an error', () => {
  // the arena believes it may reach 8 pages, the memory itself stops at 2: grow throws
  const arena = new Arena(memory(1, 2), true, 8 * PAGE);
  const v = arena.alloc(PAGE);
  assert.equal(arena.inside(v), false);
  assert.deepEqual([arena.memoryInfo().outsideAllocs, arena.memoryInfo().grows, arena.memoryInfo().reservedBytes], [1, 0, PAGE]);
});

test('an unshared memory grows before its first view only', () => {
  const arena = new Arena(memory(1, 8, false), false, 8 * PAGE);
  const first = arena.alloc(PAGE / 2);
  assert.ok(arena.inside(first));
  assert.equal(arena.memoryInfo().reservedBytes, 3 * PAGE, '128 + 2 pages of floats: 3 pages');
  // fits without growing
  assert.ok(arena.inside(arena.alloc(10)));
  const second = arena.alloc(PAGE / 4);
  assert.equal(arena.inside(second), false, 'no growth once a view is out');
  assert.equal(arena.memoryInfo().grows, 1);
  arena.begin();
  assert.throws(() => arena.need(arena.input(new Float32Array(PAGE), PAGE)), {
    message:
      'WASM backend: an operand outside WASM memory does not fit in the remaining scratch space (the memory is at its ' +
      'size, and an unshared memory cannot grow once in use); allocate buffers with backend.alloc or create the backend with a larger initialBytes',
  });
});

test('a full shared memory says its maximum in MiB', () => {
  const arena = new Arena(memory(32, 32), true, 32 * PAGE);
  arena.begin();
  assert.equal(arena.input(new Float32Array(PAGE * 8), PAGE * 8), null);
  assert.throws(() => arena.in(new Float32Array(PAGE * 8), PAGE * 8), {
    message:
      'WASM backend: an operand outside WASM memory does not fit in the remaining scratch space (the memory is at its ' +
      'maximum of 2 MiB); allocate buffers with backend.alloc or create the backend with a larger initialBytes',
  });
});

test('a memory grown from outside (a new buffer object): later views still count as inside', () => {
  const mem = memory(1, 4);
  const arena = new Arena(mem, true, 4 * PAGE);
  mem.grow(1);
  const v = arena.alloc(8);
  assert.ok(arena.inside(v));
  assert.equal(arena.memoryInfo().grows, 0);
});

test('operands: in place when inside; outside ones copied into scratch (only their length) and back', () => {
  const arena = new Arena(memory(1, 4), true, 4 * PAGE);
  const a = arena.alloc(6);
  arena.begin();
  assert.deepEqual(arena.input(a, 6), { ptr: a.byteOffset, copyBack: null, length: 6 });
  assert.deepEqual(arena.output(a, 6), { ptr: a.byteOffset, copyBack: null, length: 6 });
  assert.deepEqual(arena.inout(a, 6), { ptr: a.byteOffset, copyBack: null, length: 6 });
  assert.equal(arena.memoryInfo().copyCalls, 0);
  // scratch starts right above the allocations (128 + 32) and advances by 16-byte blocks
  const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
  arena.f32.fill(-1, 40, 60);
  const px = arena.input(x, 3)!;
  assert.deepEqual(px, { ptr: 160, copyBack: null, length: 3 });
  assert.deepEqual([...arena.f32.subarray(40, 48)], [1, 2, 3, -1, -1, -1, -1, -1], 'only 3 floats copied in');
  const y = new Float32Array(5);
  const py = arena.output(y, 5)!;
  assert.equal(py.ptr, 176);
  assert.equal(py.copyBack, y);
  arena.f32.set([9, 8, 7, 6, 5, 4], 44);
  arena.finish(py);
  assert.deepEqual([...y], [9, 8, 7, 6, 5]);
  const z = Float32Array.from([1, 1, 1, 1]);
  const pz = arena.inout(z, 4)!;
  assert.equal(pz.ptr, 208);
  assert.equal(pz.copyBack, z);
  assert.deepEqual([...arena.f32.subarray(52, 56)], [1, 1, 1, 1], 'copied in');
  arena.f32.set([2, 3, 4, 5], 52);
  arena.finish(pz);
  assert.deepEqual([...z], [2, 3, 4, 5]);
  assert.equal(arena.memoryInfo().copyCalls, 3);
  assert.equal(arena.reserve(1), 224);
  arena.begin();
  assert.equal(arena.reserve(1), 160, 'begin starts the scratch over');
  // the scratch never reaches past the maximum
  assert.equal(arena.reserve(PAGE), null);
  assert.equal(arena.reserve(PAGE - 60), 176, 'but grows the memory for what fits under it');
});

test('checkLength says what is short and by how much', () => {
  checkLength('x', new Float32Array(3), 3);
  assert.throws(() => checkLength('gemm a', new Float32Array(3), 4), { message: 'gemm a: needs 4 elements, the array has 3' });
});

test('the edges: a view of the memory before any alloc is inside; an alloc ending at the memory’s end or at the maximum fits', () => {
  const mem = memory(1, 2);
  const arena = new Arena(mem, true, 2 * PAGE);
  assert.ok(arena.inside(new Float32Array(mem.buffer, 128, 4)));
  // 128 + 16 352 floats: exactly one page, no growth
  arena.alloc((PAGE - 128) / 4);
  assert.deepEqual([arena.memoryInfo().reservedBytes, arena.memoryInfo().grows], [PAGE, 0]);
  // then exactly up to the maximum: grows to it, inside
  const last = arena.alloc(PAGE / 4);
  assert.ok(arena.inside(last));
  assert.deepEqual(
    [arena.memoryInfo().reservedBytes, arena.memoryInfo().grows, arena.memoryInfo().outsideAllocs],
    [2 * PAGE, 1, 0],
  );
});
