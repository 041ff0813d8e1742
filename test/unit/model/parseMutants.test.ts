// Edges of parse.ts that its other tests leave open (found by mutation testing): the size from which
// a file with a syntax error gets its syntax errors only. Expected messages and offsets are written
// out by hand from the texts below.

import test from 'node:test';
import assert from 'node:assert/strict';
import { MAX_NESTING, MAX_PROBLEMS, parseByTree, parseModel, SYNTAX_ONLY_CHARS } from '../../../src/model/parse';

/** A model whose closing brace is missing, with a seed of -1, padded with spaces to `length` characters. */
function unclosed(length: number): string {
  //            0123456789012
  const head = '{ "seed": -1, "data": { "source": "mnist" }, "layers": [ { "type": "dense", "units": 10 } ]';
  return head + ' '.repeat(length - head.length);
}

const seedProblem = {
  path: 'seed',
  message: 'seed: expected a non-negative integer, got -1',
  range: { offset: 10, length: 2 },
  severity: 'error',
};
const braceProblem = (end: number) => ({
  path: '',
  message: 'syntax error: expected a closing brace "}"',
  range: { offset: end, length: 1 },
  severity: 'error',
});

test('a file of exactly SYNTAX_ONLY_CHARS characters with a syntax error still gets its field problems; one more gets the syntax errors only', () => {
  assert.equal(SYNTAX_ONLY_CHARS, 131072);
  const atLimit = unclosed(SYNTAX_ONLY_CHARS);
  assert.equal(atLimit.length, 131072);
  assert.deepEqual(parseModel(atLimit).problems, [seedProblem, braceProblem(131072)]);
  const over = unclosed(SYNTAX_ONLY_CHARS + 1);
  assert.deepEqual(parseModel(over).problems, [braceProblem(131073)]);
});

/** `n` dense layers with units -16 (one problem each), one per line, then `tail` before the closing brace. */
function badLayers(n: number, tail: string): string {
  const layers = Array.from({ length: n }, () => '    { "type": "dense", "units": -16 }').join(',\n');
  return `{ "data": { "source": "mnist" },\n  "layers": [\n${layers}\n  ]${tail}\n}\n`;
}

test('the tree walk past the cap with every layer read: the problems left are counted, no layers "not checked"', () => {
  const text = badLayers(MAX_PROBLEMS, ',\n  "seed": -1');
  const r = parseByTree(text);
  assert.equal(r.problems.length, MAX_PROBLEMS + 1);
  const more = r.problems[MAX_PROBLEMS];
  assert.deepEqual(more, {
    path: 'seed',
    message: 'seed: 1 more problem from here on; only the first 1,000 problems are listed',
    range: { offset: text.indexOf('-1\n}'), length: 2 },
    severity: 'error',
  });
});

test('past the cap, a problem without a path (a syntax error) is summed up without a leading colon', () => {
  const text = badLayers(MAX_PROBLEMS, '') + 'x';
  const r = parseModel(text);
  assert.equal(r.problems.length, MAX_PROBLEMS + 1);
  assert.deepEqual(r.problems[MAX_PROBLEMS], {
    path: '',
    message: '1 more problem from here on; only the first 1,000 problems are listed',
    range: { offset: text.length - 1, length: 1 },
    severity: 'error',
  });
});

test('the tree walk alone (no syntax error): nesting one level past MAX_NESTING, at the bracket that goes too deep; an empty file', () => {
  assert.equal(MAX_NESTING, 64);
  const deep = '['.repeat(65) + ']'.repeat(65);
  assert.deepEqual(parseByTree(deep).problems, [
    {
      path: '',
      message: 'the file nests objects and arrays more than 64 levels deep; a model file needs four',
      range: { offset: 64, length: 1 },
      severity: 'error',
    },
  ]);
  const deepest = '['.repeat(64) + ']'.repeat(64);
  assert.deepEqual(parseByTree(deepest).problems, [
    {
      path: '',
      message: 'expected a model object { … } at the top level, got an array',
      range: { offset: 0, length: 128 },
      severity: 'error',
    },
  ]);
  assert.deepEqual(parseByTree(' /* nothing */\n').problems, [
    {
      path: '',
      message: 'the file is empty: expected a model object { "data": …, "layers": [ … ] }',
      range: { offset: 0, length: 0 },
      severity: 'error',
    },
  ]);
});
