// Mutation-oriented tests for src/run/freeze.ts (issue 14). The oracle is the documented contract
// of deepFreeze, checked with Object.isFrozen on each reached value (never with a value the
// function computed): plain objects and arrays frozen at every depth, the same reference returned,
// an already frozen object taken as frozen through (its children left as they are), typed arrays
// and functions left unfrozen, primitives and null passed through.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { deepFreeze } from '../../../src/run/freeze';

test('deepFreeze freezes every plain object and array it reaches and returns the same reference', () => {
  const leaf = { v: 1 };
  const list = [leaf, { w: [2, 3] }];
  const root = { a: { b: { c: leaf } }, list, n: 4, s: 'x', z: null };
  const out = deepFreeze(root);
  assert.equal(out, root);
  for (const v of [root, root.a, root.a.b, leaf, list, list[1], (list[1] as { w: number[] }).w]) {
    assert.equal(Object.isFrozen(v), true);
  }
  assert.throws(() => {
    'use strict';
    (root.a.b.c as { v: number }).v = 2;
  }, TypeError);
  assert.equal(leaf.v, 1);
});

test('deepFreeze passes primitives and null through unchanged', () => {
  assert.equal(deepFreeze(5), 5);
  assert.equal(deepFreeze('s'), 's');
  assert.equal(deepFreeze(null), null);
  assert.equal(deepFreeze(undefined), undefined);
  assert.equal(deepFreeze(true), true);
});

test('an object found frozen already is not visited again: its unfrozen children stay unfrozen', () => {
  const child = { x: 1 };
  const shallow = Object.freeze({ child });
  const root = { shallow, fresh: { y: 2 } };
  deepFreeze(root);
  assert.equal(Object.isFrozen(root), true);
  assert.equal(Object.isFrozen(root.fresh), true);
  assert.equal(Object.isFrozen(shallow), true);
  assert.equal(Object.isFrozen(child), false, 'a frozen parent is taken as frozen through');
});

test('a typed array is left unfrozen (it cannot be frozen) and its owner still freezes', () => {
  const t = new Float64Array([1, 2]);
  const root = { t, o: { k: 1 } };
  assert.doesNotThrow(() => deepFreeze(root));
  assert.equal(Object.isFrozen(t), false);
  t[0] = 9;
  assert.equal(t[0], 9);
  assert.equal(Object.isFrozen(root), true);
  assert.equal(Object.isFrozen(root.o), true);
  const empty = new Uint8Array(0);
  deepFreeze({ empty });
  assert.equal(Object.isFrozen(empty), false, 'an empty view could be frozen, but views are skipped');
});

test('a function reached is not an object: it is left unfrozen', () => {
  const f = (): number => 1;
  const root = { f };
  deepFreeze(root);
  assert.equal(Object.isFrozen(root), true);
  assert.equal(Object.isFrozen(f), false);
  assert.equal(Object.isFrozen(deepFreeze(f)), false);
});
