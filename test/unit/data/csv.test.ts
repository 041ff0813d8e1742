import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadCsv } from '../../../src/data/csv';
import { DataError } from '../../../src/data/errors';
import { tempDir } from './helpers';

function write(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Asserts loading rejects with a DataError whose message and position are exactly these. */
async function rejectsWith(file: string, message: string, position: { line?: number; column?: number } = {}): Promise<void> {
  await assert.rejects(loadCsv(file, { displayName: 'data/train.csv' }), (e: unknown) => {
    assert.ok(e instanceof DataError, `not a DataError: ${String(e)}`);
    assert.equal(e.message, message);
    assert.equal(e.file, 'data/train.csv');
    assert.equal(e.line, position.line);
    assert.equal(e.column, position.column);
    return true;
  });
}

test('CSV without a header: integer labels, numeric features, CRLF and blank lines', async (t) => {
  const dir = tempDir(t);
  const file = write(dir, 'a.csv', '1,0.5,-2\r\n0,3e2,.25\r\n\r\n2,+7,1.125\n\n');
  const d = await loadCsv(file);
  assert.equal(d.count, 3);
  assert.deepEqual(d.inputShape, [2]);
  assert.equal(d.numClasses, 3);
  assert.deepEqual([...d.y], [1, 0, 2]);
  assert.deepEqual([...d.x], [0.5, -2, 300, 0.25, 7, 1.125]);
  assert.deepEqual(d.classNames, ['0', '1', '2']);
});

test('CSV with a header and string labels mapped to sorted class indices', async (t) => {
  const dir = tempDir(t);
  const file = write(
    dir,
    'iris.csv',
    'species,sepal_length,sepal_width\n"versicolor",7.0,3.2\nsetosa,5.1,3.5\nvirginica,6.3,3.3\nsetosa,4.9,3.0\n',
  );
  const d = await loadCsv(file, { displayName: 'iris.csv' });
  assert.equal(d.name, 'iris.csv');
  assert.equal(d.count, 4);
  assert.deepEqual(d.classNames, ['setosa', 'versicolor', 'virginica']);
  assert.deepEqual([...d.y], [1, 0, 2, 0]);
  assert.deepEqual([...d.x], [7.0, 3.2, 5.1, 3.5, 6.3, 3.3, 4.9, 3.0].map(Math.fround));
});

test('integer labels are shifted so the smallest is class 0 (EMNIST-style 1..26)', async (t) => {
  const dir = tempDir(t);
  const file = write(dir, 'letters.csv', '26,1\n1,2\n3,3\n');
  const d = await loadCsv(file);
  assert.equal(d.numClasses, 26);
  assert.deepEqual([...d.y], [25, 0, 2]);
  assert.equal(d.classNames?.[0], '1');
});

test('a UTF-8 byte-order mark before the header is ignored', async (t) => {
  const dir = tempDir(t);
  const file = write(dir, 'bom.csv', '\ufefflabel,x\n4,1\n5,2\n');
  const d = await loadCsv(file);
  assert.deepEqual([...d.y], [0, 1]);
  assert.deepEqual([...d.x], [1, 2]);
});

test('a bad number names file, line and column', async (t) => {
  const dir = tempDir(t);
  const lines = ['label,a,b,c,d,e'];
  for (let i = 0; i < 15; i++) lines.push(`${i % 3},1,2,3,4,5`);
  lines.push('1,1,2,3,abc,5'); // line 17, column 5
  const file = write(dir, 'bad.csv', `${lines.join('\n')}\n`);
  await rejectsWith(file, 'data/train.csv:17: column 5: expected a number, got "abc"', { line: 17, column: 5 });
});

test('an empty feature and a non-finite number are errors too', async (t) => {
  const dir = tempDir(t);
  await rejectsWith(write(dir, 'e.csv', '1,2,3\n0,,3\n'), 'data/train.csv:2: column 2: expected a number, got ""', {
    line: 2,
    column: 2,
  });
  await rejectsWith(
    write(dir, 'f.csv', '1,2,3\n0,2,Infinity\n'),
    'data/train.csv:2: column 3: expected a number, got "Infinity"',
    { line: 2, column: 3 },
  );
});

test('ragged rows name the line and both column counts', async (t) => {
  const dir = tempDir(t);
  const row = (n: number): string => ['1', ...Array.from({ length: n - 1 }, () => '0.5')].join(',');
  const lines = Array.from({ length: 8 }, () => row(785));
  lines.push(row(12)); // line 9
  const file = write(dir, 'ragged.csv', `${lines.join('\n')}\n`);
  await rejectsWith(file, 'data/train.csv:9: line 9 has 12 columns, expected 785', { line: 9 });
});

test('empty file, header only, blank only and a one-column file are clear errors', async (t) => {
  const dir = tempDir(t);
  await rejectsWith(write(dir, 'empty.csv', ''), 'data/train.csv: the file is empty');
  await rejectsWith(write(dir, 'header.csv', 'label,a,b\n'), 'data/train.csv: the file has a header but no data rows');
  await rejectsWith(write(dir, 'blank.csv', '\n  \n\n'), 'data/train.csv: the file has no rows (only blank lines)');
  await rejectsWith(
    write(dir, 'one.csv', '1\n2\n'),
    'data/train.csv:1: line 1 has 1 column; expected a label followed by at least one numeric feature',
    { line: 1 },
  );
  await assert.rejects(
    loadCsv(path.join(dir, 'missing.csv'), { displayName: 'data/missing.csv' }),
    /^DataError: data\/missing\.csv: cannot read: no such file or folder$/,
  );
});

test('a regression target in the first column is refused with an explanation', async (t) => {
  const dir = tempDir(t);
  const lines = Array.from({ length: 5000 }, (_, i) => `${(i * 0.37).toFixed(2)},1`);
  await rejectsWith(
    write(dir, 'reg.csv', `${lines.join('\n')}\n`),
    'data/train.csv: the labels have 5000 distinct values; Gradient Lens trains classifiers, so the first column must be a class (at most 4096 classes)',
  );
});

test('fast number parsing agrees with Number() to float32 precision', async (t) => {
  const dir = tempDir(t);
  const values = [
    '0',
    '-0.0',
    '123456789012345',
    '0.1',
    '3.14159265358979',
    '-17.5',
    '1e-3',
    '2.5E+2',
    ' 4 ',
    '"5.5"',
    '1.',
    '.75',
    '0.30000000000000004',
  ];
  const file = write(dir, 'n.csv', `1,${values.join(',')}\n`);
  const d = await loadCsv(file);
  assert.deepEqual(
    [...d.x],
    values.map((v) => Math.fround(Number(v.replace(/"/g, '').trim()))),
  );
});

test('a file without line breaks is refused before it fills memory', async (t) => {
  const dir = tempDir(t);
  const file = write(dir, 'oneline.csv', `1,${'0.5,'.repeat(4.5 * 2 ** 20)}0`);
  await rejectsWith(file, 'data/train.csv:1: line 1 is longer than 16 M characters; is this really a CSV file?', { line: 1 });
});

test('non-ASCII class names survive lines and characters split across read chunks', async (t) => {
  const dir = tempDir(t);
  const names = ['café', 'naïve', 'Ωmega', '日本'];
  const lines: string[] = [];
  for (let i = 0; i < 6000; i++) lines.push(`${names[i % 4]},${i},${(i % 7) / 8}`);
  const file = write(dir, 'utf8.csv', `${lines.join('\n')}\n`); // ~100 KB: several 64 KB chunks
  const d = await loadCsv(file);
  assert.equal(d.count, 6000);
  assert.deepEqual(d.classNames, [...names].sort());
  for (let i = 0; i < 6000; i++) {
    assert.equal(d.classNames![d.y[i]], names[i % 4]);
    assert.equal(d.x[2 * i], i);
    assert.equal(d.x[2 * i + 1], (i % 7) / 8);
  }
});
