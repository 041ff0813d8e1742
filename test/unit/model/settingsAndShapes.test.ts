// The checks after a valid parse (settings warnings, shapes against the data) through parseModel,
// each with its exact message and the range it points at, worked out from the written text.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseModel } from '../../../src/model';
import { window2d, layerOutputShape, inferShapes } from '../../../src/model/shapes';
import type { LayerSpec } from '../../../src/model/spec';

const at = (text: string, r: { offset: number; length: number }): string => text.slice(r.offset, r.offset + r.length);
const model = (data: string, extra = '', layers = '{ "type": "dense", "units": 10 }'): string =>
  `{ "data": ${data}, "layers": [ ${layers} ]${extra} }`;
const csv = { inputShape: [4], numClasses: 10 };

test('a learning rate above 1 warns at its value; exactly 1 does not', () => {
  const text = model('{ "source": "mnist" }', ', "optimizer": { "learningRate": 1.5 }');
  const r = parseModel(text);
  assert.equal(r.problems.length, 1);
  const p = r.problems[0];
  assert.equal(p.severity, 'warning');
  assert.equal(p.path, 'optimizer.learningRate');
  assert.equal(
    p.message,
    'optimizer.learningRate: a learning rate of 1.5 is unusually large; training will likely diverge (typical: 0.001–0.5)',
  );
  assert.equal(at(text, p.range), '1.5');
  assert.ok(r.spec, 'a warning keeps the spec');
  assert.deepEqual(parseModel(model('{ "source": "mnist" }', ', "optimizer": { "learningRate": 1 }')).problems, []);
});

test('an absolute data path is an error at the source value (POSIX and drive letters); relative ones are not', () => {
  for (const src of ['/etc/x.csv', 'C:\\\\d\\\\x.csv', 'c:/d/x.csv']) {
    const text = model(`{ "source": "${src}" }`);
    const r = parseModel(text, csv);
    assert.equal(r.spec, null, src);
    assert.equal(r.problems.length, 1, src);
    assert.equal(r.problems[0].path, 'data.source');
    assert.equal(r.problems[0].severity, 'error');
    assert.equal(at(text, r.problems[0].range), `"${src}"`);
    assert.match(
      r.problems[0].message,
      /^data\.source: expected a path relative to this file \(inside the workspace\), got the absolute path "/,
    );
  }
  // A colon not after a single drive letter, or a letter without a slash after it, is relative.
  for (const src of ['ab:/x.csv', 'c:x.csv', 'x/c:/y.csv']) {
    assert.deepEqual(parseModel(model(`{ "source": "${src}" }`), csv).problems, [], src);
  }
  assert.equal(
    parseModel(model('{ "source": "/abs.csv" }'), csv).problems[0].message,
    'data.source: expected a path relative to this file (inside the workspace), got the absolute path "/abs.csv"',
  );
});

test('".." may climb as many folders as the model sits below the workspace root, not one more', () => {
  const cases: [string, number, boolean][] = [
    ['../x.csv', 0, true],
    ['../x.csv', 1, false],
    ['../../x.csv', 1, true],
    ['a/../../x.csv', 0, true],
    ['a/../x.csv', 0, false],
    ['./../x.csv', 0, true],
    ['./x.csv', 0, false],
    ['a//b/../../x.csv', 0, false],
    ['a\\..\\..\\x.csv', 0, true],
    // Climbing out and back in still went outside on the way.
    ['../m/x.csv', 0, true],
    ['x.csv', 0, false],
  ];
  for (const [src, depth, escapes] of cases) {
    const text = model(`{ "source": "${src.replace(/\\/g, '\\\\')}" }`);
    const r = parseModel(text, csv, { folderDepth: depth });
    if (escapes) {
      assert.equal(r.problems.length, 1, `${src} @${depth}`);
      assert.equal(at(text, r.problems[0].range), JSON.stringify(src));
      assert.equal(
        r.problems[0].message,
        `data.source: expected a path inside the workspace, got ${JSON.stringify(src)}, which climbs out of it with ".."`,
      );
      assert.equal(r.spec, null);
    } else {
      assert.deepEqual(r.problems, [], `${src} @${depth}`);
    }
  }
  // Without a location the check is skipped.
  assert.deepEqual(parseModel(model('{ "source": "../x.csv" }'), csv).problems, []);
});

test('an IDX images file without labels is an error at its source; with labels, or a CSV, it is not', () => {
  for (const src of ['train-images-idx3-ubyte', 'a.idx', 'a.ubyte.gz', 'A.IDX.GZ', 'imgs.ubyte']) {
    const text = model(`{ "source": "${src}" }`);
    const r = parseModel(text, csv);
    assert.equal(r.problems.length, 1, src);
    assert.equal(
      r.problems[0].message,
      'data.labels: an IDX images file needs its labels file: add "labels": "…-labels-idx1-ubyte"',
    );
    assert.equal(r.problems[0].path, 'data.labels');
    assert.equal(at(text, r.problems[0].range), `"${src}"`);
  }
  for (const src of ['a.csv', 'a.idx.csv', 'idxfolder', 'a.gz']) {
    assert.deepEqual(parseModel(model(`{ "source": "${src}" }`), csv).problems, [], src);
  }
  assert.deepEqual(parseModel(model('{ "source": "a.idx", "labels": "l.idx" }'), csv).problems, []);
});

test('a path longer than 4096 characters is an error, at the field that is too long, and stops the other checks', () => {
  const long = `${'a/'.repeat(2048)}x`; // 4097 characters
  const text = model(`{ "source": "s.idx", "labels": "${long}" }`);
  const r = parseModel(text, csv);
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0].path, 'data.labels');
  assert.equal(r.problems[0].message, 'data.labels: the path is 4,097 characters long; a path has at most 4096');
  assert.equal(at(text, r.problems[0].range), JSON.stringify(long));
  const ok = `${'a/'.repeat(2047)}xy`; // 4096: accepted
  assert.equal(ok.length, 4096);
  assert.deepEqual(parseModel(model(`{ "source": "${ok}" }`), csv).problems, []);
  // The absolute-path check is not reached after a too-long source.
  const abs = `/${'b'.repeat(4096)}`;
  const r2 = parseModel(model(`{ "source": "${abs}" }`), csv);
  assert.equal(r2.problems.length, 1);
  assert.match(r2.problems[0].message, /^data\.source: the path is 4,097 characters long/);
});

test('a batch larger than the training examples (limit minus the rounded validation share) warns at batchSize', () => {
  // limit 50, split 0.2 → 50 − 10 = 40 training examples.
  const text = model('{ "source": "mnist", "limit": 50 }', ', "batchSize": 41');
  const r = parseModel(text);
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0].severity, 'warning');
  assert.equal(
    r.problems[0].message,
    'batchSize: batch size 41 is larger than the 40 training examples: every step is full batch',
  );
  assert.equal(at(text, r.problems[0].range), '41');
  assert.deepEqual(parseModel(model('{ "source": "mnist", "limit": 50 }', ', "batchSize": 40')).problems, []);
  // limit 7, split 0.25 → round(1.75) = 2 → 5 training examples.
  const r3 = parseModel(model('{ "source": "mnist", "limit": 7, "validationSplit": 0.25 }', ', "batchSize": 6'));
  assert.match(r3.problems[0].message, /larger than the 5 training examples/);
  assert.deepEqual(
    parseModel(model('{ "source": "mnist", "limit": 7, "validationSplit": 0.25 }', ', "batchSize": 5')).problems,
    [],
  );
  // The default batch (32) against a small limit: no batchSize written, nowhere to point, no warning.
  assert.deepEqual(parseModel(model('{ "source": "mnist", "limit": 10 }')).problems, []);
});

test('window2d: valid and same, with the padding split top/left by floor (hand-computed)', () => {
  assert.deepEqual(window2d(28, 28, 5, 1, 'valid'), { top: 0, left: 0, outH: 24, outW: 24 });
  assert.deepEqual(window2d(7, 9, 3, 2, 'valid'), { top: 0, left: 0, outH: 3, outW: 4 });
  // same: out = ceil(7/2) = 4, pad = 3·2 + 3 − 7 = 2 → top 1; width ceil(8/2)=4, pad 3·2+3−8 = 1 → left 0.
  assert.deepEqual(window2d(7, 8, 3, 2, 'same'), { top: 1, left: 0, outH: 4, outW: 4 });
  // pad 5 → top 2 (floor), odd sizes along each side independently.
  assert.deepEqual(window2d(5, 6, 6, 1, 'same'), { top: 2, left: 2, outH: 5, outW: 6 });
  assert.deepEqual(window2d(10, 10, 2, 4, 'same'), { top: 0, left: 0, outH: 3, outW: 3 });
});

test('layerOutputShape and inferShapes against shapes worked out by hand', () => {
  const conv = (filters: number, k: number, stride: number, padding: 'same' | 'valid'): LayerSpec =>
    ({ type: 'conv2d', filters, kernelSize: k, stride, padding, activation: 'linear' }) as LayerSpec;
  const pool = (k: number, stride: number): LayerSpec => ({ type: 'maxpool2d', poolSize: k, stride }) as LayerSpec;
  const dense = (units: number): LayerSpec => ({ type: 'dense', units, activation: 'linear' }) as LayerSpec;
  assert.deepEqual(layerOutputShape(conv(8, 3, 1, 'valid'), [2, 5, 6], false), { ok: true, shape: [8, 3, 4] });
  assert.deepEqual(layerOutputShape(pool(2, 2), [3, 5, 6], false), { ok: true, shape: [3, 2, 3] });
  assert.deepEqual(layerOutputShape({ type: 'flatten' } as LayerSpec, [3, 2, 5], false), { ok: true, shape: [30] });
  assert.deepEqual(layerOutputShape({ type: 'relu' } as LayerSpec, [3, 2], false), { ok: true, shape: [3, 2] });
  assert.deepEqual(layerOutputShape(dense(7), [1, 28, 28], true), { ok: true, shape: [7] });
  assert.deepEqual(layerOutputShape(dense(7), [9], false), { ok: true, shape: [7] });
  assert.deepEqual(layerOutputShape(dense(7), [1, 2, 2], false), {
    ok: false,
    message: 'a dense layer needs a flat input, got shape [1, 2, 2]; add { "type": "flatten" } before it',
  });
  assert.deepEqual(layerOutputShape(conv(1, 3, 1, 'valid'), [9], false), {
    ok: false,
    message: 'conv2d needs an image input [channels, height, width], got shape [9]',
  });
  assert.deepEqual(layerOutputShape(pool(2, 2), [2, 3], false), {
    ok: false,
    message: 'maxpool2d needs an image input [channels, height, width], got shape [2, 3]',
  });
  assert.deepEqual(layerOutputShape(conv(1, 4, 1, 'valid'), [1, 3, 9], false), {
    ok: false,
    message: 'kernel 4×4 is larger than its input 3×9',
  });
  assert.deepEqual(layerOutputShape(conv(1, 4, 1, 'valid'), [1, 9, 3], false), {
    ok: false,
    message: 'kernel 4×4 is larger than its input 9×3',
  });
  assert.deepEqual(layerOutputShape(pool(4, 4), [1, 9, 3], false), {
    ok: false,
    message: 'pool window 4×4 is larger than its input 9×3',
  });
  // Exactly the input's size fits; with "same" a larger kernel is padded.
  assert.deepEqual(layerOutputShape(conv(2, 3, 1, 'valid'), [1, 3, 3], false), { ok: true, shape: [2, 1, 1] });
  assert.deepEqual(layerOutputShape(conv(2, 5, 1, 'same'), [1, 3, 3], false), { ok: true, shape: [2, 3, 3] });
  const input = [1, 2, 2];
  const r = inferShapes([{ type: 'flatten' } as LayerSpec, dense(3), dense(2)], input);
  assert.deepEqual(r, { shapes: [[4], [3], [2]], error: null });
  assert.deepEqual(input, [1, 2, 2], 'the input is not changed');
  const bad = inferShapes([{ type: 'relu' } as LayerSpec, dense(3)], [1, 2, 2]);
  // Only the first layer reads its input flattened.
  assert.deepEqual(bad.shapes, [[1, 2, 2]]);
  assert.equal(bad.error?.layer, 1);
  // An activation layer's output is a copy, not its input array.
  const copy = layerOutputShape({ type: 'tanh' } as LayerSpec, input, false);
  assert.ok(copy.ok && copy.shape !== input);
});

test('checkShapes through parseModel: output rank, class count and a squashing last layer, at the last layer', () => {
  const layers = '{ "type": "dense", "units": 4 }, { "type": "relu" }';
  const text = model('{ "source": "d.csv" }', '', layers);
  const r = parseModel(text, { inputShape: [3], numClasses: 5 });
  const msgs = r.problems.map((p) => `${p.severity} ${p.message} @${at(text, p.range)}`);
  assert.deepEqual(msgs, [
    'error layers[1]: the last layer has 4 units but the data has 5 classes @{ "type": "relu" }',
    'warning layers[1]: cross-entropy applies softmax to the last layer\'s output itself; an activation here limits the scores and usually slows learning (use "linear")' +
      ' @{ "type": "relu" }',
  ]);
  const conv = '{ "type": "conv2d", "filters": 2, "kernelSize": 3, "activation": "relu" }';
  const t2 = model('{ "source": "d.csv" }', '', conv);
  const r2 = parseModel(t2, { inputShape: [1, 5, 5], numClasses: 2 });
  assert.deepEqual(
    r2.problems.map((p) => p.message),
    [
      'layers[0]: the network must end in a vector of 2 class scores, but its output has shape [2, 3, 3]; add a flatten and a dense layer of 2 units',
      'layers[0]: cross-entropy applies softmax to the last layer\'s output itself; an activation here limits the scores and usually slows learning (use "linear")',
    ],
  );
  // Under mse the activation is no warning; a linear dense under cross-entropy neither.
  assert.deepEqual(
    parseModel(model('{ "source": "d.csv" }', ', "loss": "mse"', '{ "type": "dense", "units": 2, "activation": "tanh" }'), {
      inputShape: [3],
      numClasses: 2,
    }).problems,
    [],
  );
  assert.deepEqual(
    parseModel(model('{ "source": "d.csv" }', '', '{ "type": "dense", "units": 2 }'), { inputShape: [3], numClasses: 2 })
      .problems,
    [],
  );
  // A flatten last: no activation, no warning (only the class check).
  const r3 = parseModel(model('{ "source": "d.csv" }', '', '{ "type": "flatten" }'), { inputShape: [2], numClasses: 2 });
  assert.deepEqual(r3.problems, []);
  // A shape error stops the other checks, at the layer that does not fit.
  const t4 = model(
    '{ "source": "d.csv" }',
    '',
    '{ "type": "maxpool2d", "poolSize": 2 }, { "type": "dense", "units": 2, "activation": "relu" }',
  );
  const r4 = parseModel(t4, { inputShape: [6], numClasses: 3 });
  assert.deepEqual(
    r4.problems.map((p) => `${p.message} @${at(t4, p.range)}`),
    [
      'layers[0]: maxpool2d needs an image input [channels, height, width], got shape [6] @{ "type": "maxpool2d", "poolSize": 2 }',
    ],
  );
  assert.equal(r4.problems[0].path, 'layers[0]');
});
