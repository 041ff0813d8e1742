// fastTree.ts against an independent oracle: jsonc-parser's parseTree (the builder claims to build
// exactly its nodes for a text without errors, and to decline, with null, every text it reports
// errors for). Each text below is a token edge the builder decides on its own (whitespace kinds,
// comment ends, number grammar, escapes, keywords, brackets, commas); depths and the from/to window
// are checked against values worked out by hand from the text.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseTree, type Node, type ParseError } from 'jsonc-parser';
import { fastParseTree } from '../../../src/model/fastTree';

/** The fields both builders set (jsonc-parser adds parent links, which the fast one leaves out). */
function strip(n: Node | undefined, shift = 0): unknown {
  if (!n) return undefined;
  return {
    type: n.type,
    offset: n.offset + shift,
    length: n.length,
    value: n.value,
    colonOffset: n.colonOffset === undefined ? undefined : n.colonOffset + shift,
    children: n.children?.map((c) => strip(c, shift)),
  };
}

const options = { allowTrailingComma: true, disallowComments: false };
function oracle(text: string): { errors: number; root: Node | undefined } {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, options);
  return { errors: errors.length, root };
}

// Texts jsonc-parser reads without an error: the fast tree must be the same tree.
const VALID = [
  '0',
  '9',
  '[0, 1, 5, 9, -0, -9, 10, 90, 1.5, 0.25, 9.09]',
  '[1e5, 1E5, 1e+5, 1e-5, 2.5E-3, 0e0, -1.25e+2]',
  '"a b"',
  '" "',
  '"\\"q\\""',
  '"a\\\\"',
  '"\\u0041\\n\\t"',
  '""',
  '"é – ✓"',
  'true',
  'false',
  'null',
  '[true, false, null]',
  '[]',
  '{}',
  '[[], {}]',
  '{"a": 1}',
  '{"a": 1,}',
  '[1,]',
  '{"a": {"b": [1, {"c": null}]}, "d": "e"}',
  '{"a":1,"b":2,"c":3}',
  '{"a" /*c*/ : /*d*/ 1 /*e*/ , "b" : [ 2 /*f*/ ] /*g*/ }',
  '\t\r\n [\t1\r,\n2 ]\t\r\n',
  '1 // trailing comment',
  '// first\n[1] // last',
  '/**/[/**/1/**/]/**/',
  '/* a * / b */ 3',
  '[1 /**/ ]',
  '{ "k": [ ] , "l": { } }',
  '{"a": "x", "a": "y"}',
  '  {"": 0}  ',
  '[1,\n// c\n2]',
  '[[1, 2]]',
  '[[1, 2], 3]',
  '[{"a": 1, "b": 2}]',
  '{"a": [1, 2], "b": {"c": 1, "d": 2}}',
];

// Texts jsonc-parser reports an error for: the fast builder must decline them.
const INVALID = [
  '{',
  '[',
  '[1',
  '{"a": 1',
  '}',
  ']',
  '[}',
  '{]',
  '{"a": 1]',
  '[1}',
  '[1 2]',
  '[1 "a"]',
  '{"a": 1 "b": 2}',
  '{"a"}',
  '{"a" 1}',
  '{"a" 12}',
  '{"a"x1}',
  '{"a":}',
  '{"a": ,}',
  '{a: 1}',
  '{1: 1}',
  '{,}',
  '[,]',
  '[1,,2]',
  '{"a": 1,, "b": 2}',
  ',',
  '1,',
  '{} {}',
  '[1] 2',
  '1 2',
  '"a" "b"',
  'true false',
  '[01]',
  '[-01]',
  '[00]',
  '[-]',
  '[1.]',
  '[.5]',
  '[1.e5]',
  '[1e]',
  '[1e+]',
  '[1E-]',
  '[+1]',
  '"abc',
  '["abc',
  '{"abc',
  '"a\\"',
  '"\\x"',
  '"\\u00G0"',
  '["\u0001"]',
  '"\t"',
  '"\n"',
  '"\u001f"',
  'tru',
  'nul',
  'fals',
  'truex',
  'true1',
  '[truex]',
  '[true_]',
  '[nullnull]',
  '{"a": falsey}',
  'x',
  '/ ',
  '1 /',
  '1 / 2',
  '/* unclosed',
  '[1 /*/ ]',
  '[1] /*',
  '[/* x',
  '\u000b1',
  '\u00a01',
  '{a": 1}',
  '{1": 1}',
  '[[] []]',
  '[{} 1]',
  '{"a": {} "b": 1}',
  '{"a" /* x */',
  '{"a"',
];

test('the fast tree is jsonc-parser’s tree for each valid token edge', () => {
  for (const text of VALID) {
    const expected = oracle(text);
    assert.equal(expected.errors, 0, `the oracle reads ${JSON.stringify(text)} without errors`);
    const fast = fastParseTree(text, 64);
    assert.ok(fast, `accepted: ${JSON.stringify(text)}`);
    assert.equal(fast.tooDeep, -1, text);
    assert.deepEqual(strip(fast.root), strip(expected.root), text);
  }
});

test('the fast builder declines every text jsonc-parser reports an error for', () => {
  for (const text of INVALID) {
    assert.ok(oracle(text).errors > 0, `the oracle finds an error in ${JSON.stringify(text)}`);
    assert.equal(fastParseTree(text, 64), null, text);
  }
});

test('the node values and lengths, by hand', () => {
  // {"ab": [1.5, "x\"y"]}: the property spans from its key to its value's end.
  const text = '{"ab": [1.5, "x\\"y"], "c": true }';
  const root = fastParseTree(text, 64)?.root;
  assert.ok(root);
  assert.equal(root.type, 'object');
  assert.equal(root.offset, 0);
  assert.equal(root.length, text.length);
  const [ab, c] = root.children!;
  assert.equal(ab.type, 'property');
  assert.equal(ab.offset, 1);
  assert.equal(ab.length, '"ab": [1.5, "x\\"y"]'.length);
  assert.equal(ab.colonOffset, 5);
  assert.equal(ab.children![0].value, 'ab');
  const arr = ab.children![1];
  assert.equal(arr.type, 'array');
  assert.equal(arr.offset, 7);
  assert.equal(arr.length, '[1.5, "x\\"y"]'.length);
  assert.equal(arr.children![0].value, 1.5);
  assert.equal(arr.children![0].length, 3);
  assert.equal(arr.children![1].value, 'x"y');
  assert.equal(arr.children![1].offset, 13);
  assert.equal(arr.children![1].length, 6);
  assert.equal(c.offset, text.indexOf('"c"'));
  assert.equal(c.length, '"c": true'.length);
  assert.equal(c.children![1].value, true);
  assert.equal(c.children![1].type, 'boolean');
  assert.equal(arr.children![0].colonOffset, undefined);
});

test('empty text (or only comments and whitespace): no root, not too deep', () => {
  for (const text of ['', '   ', '\n\t\r', '// only a comment', '/* block */', '// a\n/* b */ ']) {
    assert.deepEqual(fastParseTree(text, 64), { root: undefined, tooDeep: -1 }, JSON.stringify(text));
  }
});

test('nesting: exactly maxDepth levels are a tree; one more gives the offset of the first bracket past it', () => {
  assert.equal(fastParseTree('[[[]]]', 3)?.tooDeep, -1);
  assert.equal(fastParseTree('[[[]]]', 3)?.root?.children?.[0].children?.[0].type, 'array');
  assert.deepEqual(fastParseTree('[[[]]]', 2), { root: undefined, tooDeep: 2 });
  assert.deepEqual(fastParseTree(' {"a": [{"b": 1}]}', 2), { root: undefined, tooDeep: 8 });
  assert.deepEqual(fastParseTree('[]', 0), { root: undefined, tooDeep: 0 });
  // Siblings do not add up: depth is the open brackets at once.
  assert.equal(fastParseTree('[[], [], [[]]]', 3)?.tooDeep, -1);
  assert.deepEqual(fastParseTree('[[], [], [[]]]', 2), { root: undefined, tooDeep: 10 });
});

test('from/to: only that part of the text is read, its nodes placed in the whole text', () => {
  // Each window against jsonc-parser on the window's own text, offsets shifted by `from`.
  const windows: [string, number, number][] = [
    ['xx[1, {"a": true}]yy', 2, 18],
    ['1234', 1, 3],
    ['1.234', 0, 3],
    ['1e234', 0, 3],
    ['1.5', 0, 1],
    ['1e5', 0, 1],
    ['2E5', 0, 1],
    ['truex', 0, 4],
    ['nullnull', 4, 8],
    ['1 /* x', 0, 2],
    ['"ab" "cd"', 5, 9],
    ['[1] // c\n]', 0, 8],
    ['{"a": 1} 2', 0, 8],
  ];
  for (const [text, from, to] of windows) {
    const part = text.slice(from, to);
    const expected = oracle(part);
    assert.equal(expected.errors, 0, part);
    const fast = fastParseTree(text, 64, from, to);
    assert.ok(fast, `${JSON.stringify(text)} [${from}, ${to})`);
    assert.deepEqual(strip(fast.root), strip(expected.root, from), `${JSON.stringify(text)} [${from}, ${to})`);
  }
  // Windows that cut a token or a comment: an error in the window's own text, so declined.
  const cut: [string, number, number][] = [
    ['true', 0, 2],
    ['false', 1, 4],
    ['"abc"', 0, 3],
    ['1 /* x */', 0, 5],
    ['1 /*x*/', 0, 3],
    ['1 /*x*/', 0, 6],
    ['1 //x', 0, 3],
    ['1.5', 0, 2],
    ['1e5', 0, 2],
    ['[1, 2]', 0, 5],
  ];
  for (const [text, from, to] of cut) {
    assert.ok(oracle(text.slice(from, to)).errors > 0, text.slice(from, to));
    assert.equal(fastParseTree(text, 64, from, to), null, `${JSON.stringify(text)} [${from}, ${to})`);
  }
});
