import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { assessHealth, DEFAULT_THRESHOLDS, findingsKey } from '../../../src/editor/health';
import { formatSci, formatValue, formatPercent, layerDecorationText } from '../../../src/editor/format';
import { modelFileTemplate, validateModelName } from '../../../src/editor/scaffoldTemplate';
import { parseModel } from '../../../src/model';
import type { LayerPoint } from '../../../src/protocol';

const point = (layer: number, over: Partial<LayerPoint> = {}): LayerPoint => ({
  layer,
  gradNorm: 0.1,
  weightNorm: 5,
  updateRatio: 1e-3,
  perExampleNormMin: 0.05,
  perExampleNormMedian: 0.2,
  perExampleNormMax: 1,
  cosineMean: 0.3,
  noiseScale: 20,
  deadFraction: 0.1,
  ...over,
});

test('healthy layers produce no findings', () => {
  assert.deepEqual(assessHealth([point(0), point(1), point(2)], null), []);
});

test('exploding, vanishing and dead-ReLU layers are named, each on its own layer', () => {
  const f = assessHealth(
    [point(0, { gradNorm: 1e-9 }), point(1, { gradNorm: 500, deadFraction: 0.8 }), point(2, { gradNorm: 1e-9 })],
    null,
  );
  assert.deepEqual(
    f.map((x) => [x.layer, x.kind, x.severity]),
    [
      [0, 'vanishing-gradient', 'warning'],
      [1, 'exploding-gradient', 'warning'],
      [1, 'dead-relu', 'warning'],
    ],
  );
  assert.match(f[1].message, /^layers\[1\]: exploding gradient: norm 5\.0e\+2 is above 1e\+2/);
  assert.match(f[2].message, /80% of the ReLU units are dead/);
});

test('the last layer is never called vanishing: its gradient comes straight from the loss', () => {
  assert.deepEqual(assessHealth([point(0), point(3, { gradNorm: 1e-12 })], null), []);
});

test('a NaN report wins over the other rules for its layer and is an error', () => {
  const f = assessHealth([point(1, { gradNorm: NaN, deadFraction: 0.9 })], {
    layer: 1,
    example: 4,
    where: 'gradient',
    message: 'NaN in the gradient',
  });
  assert.equal(f.length, 1);
  assert.equal(f[0].severity, 'error');
  assert.match(f[0].message, /example 4 of the batch/);
  assert.notEqual(findingsKey(f), findingsKey([]));
});

test('thresholds come from settings', () => {
  const f = assessHealth([point(0, { gradNorm: 5 })], null, { ...DEFAULT_THRESHOLDS, explodingGradNorm: 1 });
  assert.equal(f[0].kind, 'exploding-gradient');
});

test('numbers beside the code are short', () => {
  assert.equal(formatSci(0.0321), '3.2e-2');
  assert.equal(formatSci(1234), '1.2e+3');
  assert.equal(formatValue(0.41234), '0.412');
  assert.equal(formatPercent(0.734), '73%');
  assert.equal(
    layerDecorationText(point(0, { gradNorm: 0.0321, updateRatio: 0.0011, deadFraction: 0.25 })),
    '‖∇‖ 3.2e-2 · Δ/θ 1.1e-3 · dead 25%',
  );
});

test('a new model file is a valid model, and bad names are refused', () => {
  const r = parseModel(modelFileTemplate('my-model'));
  assert.deepEqual(
    r.problems.filter((p) => p.severity === 'error'),
    [],
  );
  assert.ok(r.spec);
  assert.ok(validateModelName('a/b'));
  assert.equal(validateModelName('digits'), undefined);
});
