// A file with thousands of problems lists the first MAX_PROBLEMS, each at its place, and one more
// problem that says how many are left and where they begin; fewer are all listed.

import test from 'node:test';
import assert from 'node:assert/strict';
import { parseModel } from '../../../src/model';
import { MAX_PROBLEMS, parseByTree } from '../../../src/model/parse';
import { walkWork } from '../../../src/model/readTree';

/** `n` dense layers, the ones `bad` picks with units -16 (one problem each), then the output layer. */
function model(n: number, bad: (i: number) => boolean = () => true): string {
  const layers = Array.from({ length: n }, (_, i) => `    { "type": "dense", "units": ${bad(i) ? -16 : 16} }, // ${i}\n`);
  return `{ "data": { "source": "mnist" },\n  "layers": [\n${layers.join('')}    { "type": "dense", "units": 10 }\n  ]\n}\n`;
}

/** Where layer i's object starts in `model`'s text (each layer is on its own line after the `layers` line). */
function layerStart(text: string, i: number): number {
  let at = text.indexOf('"layers"');
  for (let k = 0; k <= i; k++) at = text.indexOf('\n', at) + 1;
  return text.indexOf('{', at);
}

function assertListed(text: string, problems: { path: string; range: { offset: number; length: number } }[], layers: number[]) {
  for (const [k, i] of layers.entries()) {
    assert.equal(problems[k].path, `layers[${i}].units`);
    assert.equal(text.slice(problems[k].range.offset, problems[k].range.offset + problems[k].range.length), '-16');
    assert.ok(problems[k].range.offset > layerStart(text, i), `problem ${k} lies in layer ${i}`);
  }
}

test('every layer bad: the first MAX_PROBLEMS problems at their values, then how many layers are left, at the first of them', () => {
  const n = MAX_PROBLEMS + 1234;
  const text = model(n);
  const r = parseModel(text);
  assert.equal(r.spec, null);
  assert.equal(r.problems.length, MAX_PROBLEMS + 1);
  assertListed(
    text,
    r.problems,
    Array.from({ length: MAX_PROBLEMS }, (_, i) => i),
  );
  const more = r.problems[MAX_PROBLEMS];
  assert.equal(more.severity, 'error');
  assert.equal(more.path, `layers[${MAX_PROBLEMS}]`);
  assert.match(
    more.message,
    /^layers\[1000\]: 1,234 more layers from here on have problems; only the first 1,000 problems are listed$/,
  );
  assert.deepEqual(more.range, { offset: layerStart(text, MAX_PROBLEMS), length: 1 });
  assert.equal(r.layerRanges.length, n + 1, 'every layer keeps its range');
});

test('the tree walk lists the same first problems, then how many problems are left and how many layers it did not read', () => {
  const text = model(MAX_PROBLEMS + 20);
  const quick = parseModel(text);
  const walk = parseByTree(text);
  assert.deepEqual(walk.problems.slice(0, MAX_PROBLEMS), quick.problems.slice(0, MAX_PROBLEMS));
  assert.equal(walk.problems.length, MAX_PROBLEMS + 1);
  const more = walk.problems[MAX_PROBLEMS];
  assert.equal(
    more.message,
    `layers[${MAX_PROBLEMS}].units: 1 more problem from here on, and 20 more layers not checked; only the first 1,000 problems are listed`,
  );
  assert.equal(text.slice(more.range.offset, more.range.offset + more.range.length), '-16');
  assert.ok(more.range.offset > layerStart(text, MAX_PROBLEMS));
});

test('up to MAX_PROBLEMS problems are all listed, wherever the bad layers are', () => {
  const bad = (i: number) => i % 3 === 1;
  const n = 3 * MAX_PROBLEMS;
  const text = model(n, bad);
  const r = parseModel(text);
  const layers = Array.from({ length: n }, (_, i) => i).filter(bad);
  assert.equal(layers.length, MAX_PROBLEMS);
  assert.equal(r.problems.length, MAX_PROBLEMS);
  assertListed(text, r.problems, layers);
  assert.deepEqual(parseByTree(text).problems, r.problems);
});

test('one layer past MAX_PROBLEMS: one more layer, said in the singular', () => {
  const text = model(MAX_PROBLEMS + 1);
  const r = parseModel(text);
  assert.equal(r.problems.length, MAX_PROBLEMS + 1);
  assert.equal(
    r.problems[MAX_PROBLEMS].message,
    `layers[${MAX_PROBLEMS}]: 1 more layer from here on has problems; only the first 1,000 problems are listed`,
  );
  assert.equal(parseByTree(text).problems[MAX_PROBLEMS].message.includes('1 more problem from here on'), true);
});

test('a problem outside the layers is listed first and counts in the list, in text order after the layers', () => {
  const text = model(MAX_PROBLEMS + 5).replace(/\n\}\n$/, ',\n  "seed": -1\n}\n');
  const r = parseModel(text);
  assert.equal(r.problems.length, MAX_PROBLEMS + 1);
  const last = r.problems[MAX_PROBLEMS];
  assert.equal(last.path, 'seed');
  assert.equal(text.slice(last.range.offset, last.range.offset + last.range.length), '-1');
  assertListed(
    text,
    r.problems,
    Array.from({ length: MAX_PROBLEMS - 1 }, (_, i) => i),
  );
  assert.equal(r.problems[MAX_PROBLEMS - 1].path, `layers[${MAX_PROBLEMS - 1}]`);
  assert.match(r.problems[MAX_PROBLEMS - 1].message, /: 6 more layers from here on have problems/);
  for (let k = 1; k < r.problems.length; k++) assert.ok(r.problems[k].range.offset >= r.problems[k - 1].range.offset);
});

test('1 MB of layers that are not objects: the walk stops at the cap, with the same first problems at their places', () => {
  // Non-object layers are what the quick check cannot place: the whole tree walk takes them.
  const n = 500_000;
  const text = `{ "data": { "source": "mnist" },\n  "layers": [${Array.from({ length: n }, () => '7').join(',')}]\n}\n`;
  assert.ok(text.length >= 1_000_000);
  const first = text.indexOf('[', text.indexOf('"layers"')) + 1;
  const before = walkWork.layers;
  const r = parseModel(text);
  const read = walkWork.layers - before;
  assert.equal(r.problems.length, MAX_PROBLEMS + 1);
  for (let i = 0; i < MAX_PROBLEMS; i++) {
    const p = r.problems[i];
    assert.equal(p.path, `layers[${i}]`);
    assert.equal(p.message, `layers[${i}]: expected a layer object { "type": … }, got 7`);
    assert.deepEqual(p.range, { offset: first + 2 * i, length: 1 }, `problem ${i} at its layer`);
  }
  const more = r.problems[MAX_PROBLEMS];
  assert.equal(more.path, `layers[${MAX_PROBLEMS}]`);
  assert.deepEqual(more.range, { offset: first + 2 * MAX_PROBLEMS, length: 1 });
  assert.equal(
    more.message,
    `layers[${MAX_PROBLEMS}]: 1 more problem from here on, and ${(n - MAX_PROBLEMS - 1).toLocaleString('en')} more layers not checked; only the first 1,000 problems are listed`,
  );
  // The walk read one layer past the cap (the first one left out), not the other 498,999.
  assert.equal(read, MAX_PROBLEMS + 1, `layers read: ${read}`);
  assert.equal(r.layerRanges.length, n, 'every layer keeps its range');
});
