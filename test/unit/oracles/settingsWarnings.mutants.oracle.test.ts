// The settings checks that need the file's positions (src/model/settingsWarnings.ts), through the
// parser: each warning or error with its exact words and the exact range of the value it is about,
// found by searching the text (a second way of locating it), and each rule at its boundary.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseModel } from '../../../src/model/parse';
import { MAX_PATH_CHARS } from '../../../src/model/settingsWarnings';

const INFO = { inputShape: [4], numClasses: 3 };

function model(over: { data?: string; optimizer?: string; batchSize?: number } = {}): string {
  return [
    '{',
    '  "name": "m",',
    `  "data": ${over.data ?? '{ "source": "train.csv" }'},`,
    '  "layers": [{ "type": "dense", "units": 3 }],',
    '  "loss": "cross-entropy",',
    `  "optimizer": ${over.optimizer ?? '{ "type": "sgd", "learningRate": 0.1 }'},`,
    `  "batchSize": ${over.batchSize ?? 4},`,
    '  "epochs": 1',
    '}',
  ].join('\n');
}

/** The problems other than the layers' shape checks, each with the text its range covers. */
function problems(text: string, folderDepth?: number) {
  const parsed = parseModel(text, INFO, folderDepth === undefined ? undefined : { folderDepth });
  return parsed.problems.map((p) => ({
    path: p.path,
    severity: p.severity,
    message: p.message,
    at: text.slice(p.range.offset, p.range.offset + p.range.length),
  }));
}

test('a learning rate above 1 is a warning at its value; exactly 1 is not', () => {
  const text = model({ optimizer: '{ "type": "sgd", "learningRate": 1.5 }' });
  assert.deepEqual(problems(text), [
    {
      path: 'optimizer.learningRate',
      severity: 'warning',
      message:
        'optimizer.learningRate: a learning rate of 1.5 is unusually large; training will likely diverge (typical: 0.001–0.5)',
      at: '1.5',
    },
  ]);
  assert.deepEqual(problems(model({ optimizer: '{ "type": "sgd", "learningRate": 1 }' })), []);
  assert.deepEqual(problems(model({ optimizer: '{ "type": "sgd" }' })), [], 'the default rate is not questioned');
});

test('an absolute data path is an error at the path, Unix or Windows', () => {
  for (const p of ['/data/train.csv', 'C:\\\\data\\\\train.csv', 'd:/train.csv']) {
    const text = model({ data: `{ "source": "${p}" }` });
    const value = JSON.parse(`"${p}"`);
    assert.deepEqual(problems(text, 3), [
      {
        path: 'data.source',
        severity: 'error',
        message: `data.source: expected a path relative to this file (inside the workspace), got the absolute path ${JSON.stringify(value)}`,
        at: `"${p}"`,
      },
    ]);
  }
  assert.deepEqual(
    problems(model({ data: '{ "source": "C:train.csv" }' }), 0),
    [],
    'a drive letter without a slash is a file name',
  );
});

test('".." may climb as far as the model file is below the workspace root, not further', () => {
  const climbing = (source: string, depth: number) => problems(model({ data: `{ "source": "${source}" }` }), depth);
  assert.deepEqual(climbing('../train.csv', 1), []);
  assert.deepEqual(climbing('../../train.csv', 1), [
    {
      path: 'data.source',
      severity: 'error',
      message: 'data.source: expected a path inside the workspace, got "../../train.csv", which climbs out of it with ".."',
      at: '"../../train.csv"',
    },
  ]);
  assert.equal(climbing('a/../../train.csv', 1).length, 0, 'a folder entered first can be left again');
  assert.equal(climbing('./../x.csv', 0).length, 1, '"." stays where it is');
  assert.equal(climbing('a//..//..//x.csv', 1).length, 0, 'empty segments are no folders');
  assert.equal(climbing('..\\\\x.csv', 0).length, 1, 'backslashes separate too');
  assert.equal(climbing('../../a/b/c/d.csv', 1).length, 1, 'going deeper later does not undo having left');
  assert.equal(climbing('../../train.csv', undefined as never).length, 0, 'without a location the check is skipped');
});

test('a path that starts with a backslash climbs from where the file is: an empty first segment is no folder', () => {
  // Not absolute by the Unix or drive-letter rule, so the ".." check decides: at depth 0, "\\..\\x.csv"
  // (the text \..\x.csv) leaves the workspace at its first "..".
  const text = model({ data: '{ "source": "\\\\..\\\\x.csv" }' });
  assert.deepEqual(problems(text, 0), [
    {
      path: 'data.source',
      severity: 'error',
      message: 'data.source: expected a path inside the workspace, got "\\\\..\\\\x.csv", which climbs out of it with ".."',
      at: '"\\\\..\\\\x.csv"',
    },
  ]);
  assert.deepEqual(problems(model({ data: '{ "source": "\\\\..\\\\x.csv" }' }), 1), [], 'one folder down it stays inside');
});

test('a data path longer than the limit is an error, reported once, at the path that is too long', () => {
  const long = 'a'.repeat(MAX_PATH_CHARS + 1);
  assert.equal(MAX_PATH_CHARS, 4096);
  const ps = problems(model({ data: `{ "source": "${long}" }` }), 0);
  assert.deepEqual(
    ps.map((p) => [p.path, p.severity, p.message, p.at.length]),
    [['data.source', 'error', 'data.source: the path is 4,097 characters long; a path has at most 4096', long.length + 2]],
  );
  const labels = problems(model({ data: `{ "source": "/abs.idx", "labels": "${long}" }` }), 0);
  assert.deepEqual(
    labels.map((p) => [p.path, p.message.slice(0, 41)]),
    [['data.labels', 'data.labels: the path is 4,097 characters']],
    'the length error comes alone: no absolute-path error after it',
  );
  assert.deepEqual(
    problems(model({ data: `{ "source": "${'a'.repeat(MAX_PATH_CHARS)}" }` }), 0),
    [],
    'exactly the limit is fine',
  );
});

test('an IDX images file without labels: an error at the source path; with labels none', () => {
  const expected = (source: string) => [
    {
      path: 'data.labels',
      severity: 'error',
      message: 'data.labels: an IDX images file needs its labels file: add "labels": "…-labels-idx1-ubyte"',
      at: `"${source}"`,
    },
  ];
  for (const source of ['train-images-idx3-ubyte', 'x.idx', 'x.UBYTE.gz', 'x.ubyte', 'x.idx.gz'])
    assert.deepEqual(problems(model({ data: `{ "source": "${source}" }` }), 0), expected(source), source);
  assert.deepEqual(problems(model({ data: '{ "source": "x.idx", "labels": "y.idx" }' }), 0), []);
  assert.deepEqual(problems(model({ data: '{ "source": "x.idx.zip" }' }), 0), [], 'a zip is not read as IDX');
  assert.deepEqual(problems(model({ data: '{ "source": "x.csv" }' }), 0), []);
});

test('a batch larger than the training part of the limit is a warning at the batch size; equal is fine', () => {
  // limit 10, validationSplit 0.25: round(2.5) = 3 held out, 7 to train on.
  const data = '{ "source": "train.csv", "limit": 10, "validationSplit": 0.25 }';
  assert.deepEqual(problems(model({ data, batchSize: 8 }), 0), [
    {
      path: 'batchSize',
      severity: 'warning',
      message: 'batchSize: batch size 8 is larger than the 7 training examples: every step is full batch',
      at: '8',
    },
  ]);
  assert.deepEqual(problems(model({ data, batchSize: 7 }), 0), []);
  assert.deepEqual(
    problems(model({ data: '{ "source": "train.csv" }', batchSize: 5000 }), 0),
    [],
    'no limit, no count to compare',
  );
});
