import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkExpression,
  checkLogMessage,
  evaluate,
  ExprError,
  formatValue,
  interpolate,
  parseExpression,
  tensor,
  type Scope,
  type Value,
} from '../../../src/debug/expr';

function scope(values: Record<string, Value>): Scope {
  return { names: () => Object.keys(values), get: (n) => values[n] };
}

const frame = scope({ step: 4, epoch: 1, loss: 2.3, gradNorm: 0.5, nonFinite: false, lr: 0.05 });
const run = (text: string, s: Scope = frame): Value => evaluate(parseExpression(text), s);

function errorAt(f: () => unknown, offset: number, message: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof ExprError, `an ExprError, got ${String(e)}`);
    assert.match(e.message, message);
    assert.equal(e.offset, offset, `offset of "${e.message}"`);
    return true;
  });
}

test('conditions: comparisons, && || !, arithmetic with precedence', () => {
  assert.equal(run('step >= 3'), true);
  assert.equal(run('step >= 5'), false);
  assert.equal(run('step >= 3 && loss > 2'), true);
  assert.equal(run('step > 10 || !nonFinite'), true);
  assert.equal(run('1 + 2 * 3'), 7);
  assert.equal(run('(1 + 2) * 3'), 9);
  assert.equal(run('-2 * -3 - 1'), 5);
  assert.equal(run('step % 2 == 0'), true);
  assert.equal(run('gradNorm / lr'), 10);
  assert.equal(run('1e-3 * 1000'), 1);
  assert.equal(run('step != 4'), false);
});

test('parse errors are positioned', () => {
  errorAt(() => parseExpression('step >= '), 8, /ends too early/);
  errorAt(() => parseExpression('step = 3'), 5, /"=="/);
  errorAt(() => parseExpression('(step > 1'), 9, /expected "\)"/);
  errorAt(() => parseExpression('step > 1 loss'), 9, /unexpected "loss"/);
  errorAt(() => parseExpression('a < b < c'), 6, /do not chain/);
  errorAt(() => parseExpression('step & 1'), 5, /"&&"/);
  errorAt(() => parseExpression('step # 1'), 5, /unexpected character "#"/);
  errorAt(() => parseExpression('   '), 0, /empty/);
  const e = (() => {
    try {
      parseExpression('x >');
    } catch (err) {
      return err as ExprError;
    }
  })()!;
  assert.match(e.describe(), /column 4/);
});

test('unknown names are caught before the run with a suggestion', () => {
  const known = ['step', 'gradNorm', 'loss'];
  errorAt(() => checkExpression('step > 2 && gradnorm > 1', known), 12, /unknown name "gradnorm".*did you mean "gradNorm"/);
  errorAt(() => checkExpression('foo', known), 0, /names here: step, gradNorm, loss/);
  assert.doesNotThrow(() => checkExpression('step >= 3', known));
  errorAt(() => run('stp > 1'), 0, /did you mean "step"/);
});

test('NaN (not known at this stop point) makes a condition false; tensors are not conditions', () => {
  const s = scope({ loss: NaN, g: tensor([2], [1, 2]) });
  assert.equal(run('loss > 1', s), false);
  assert.equal(run('loss', s) !== run('loss', s), true);
  errorAt(() => run('!g', s), 1, /must be true or false/);
  errorAt(() => run('g > 1', s), 0, /reduce it first/);
});

// A 3 × 4 matrix W (row-major) and per-example gradients g of shape [2, 3].
const W = tensor(
  [3, 4],
  Float32Array.from({ length: 12 }, (_, i) => i),
);
const g = tensor([2, 3], Float32Array.from([3, 4, 0, 0, 0, 5]));
const G = tensor([3], Float32Array.from([1.5, 2, 2.5]));
const layers: Value = {
  kind: 'list',
  label: 'layers',
  length: 2,
  at: (i) => ({
    kind: 'record',
    label: `layers[${i}]`,
    names: () => ['W', 'grad'],
    get: (n) => (n === 'W' ? W : n === 'grad' ? G : undefined),
  }),
};
const tensors = scope({ W, g, G, layers });

test('tensor language: indexing, slicing, reductions, cos, shapes', () => {
  assert.equal(run('W[1, 2]', tensors), 6);
  assert.equal(run('W[-1, -1]', tensors), 11);
  const row = run('g[1]', tensors) as { shape: number[]; data: ArrayLike<number> };
  assert.deepEqual(row.shape, [3]);
  assert.deepEqual(Array.from(row.data), [0, 0, 5]);
  const block = run('W[0:2, 1:3]', tensors) as { shape: number[]; data: ArrayLike<number> };
  assert.deepEqual(block.shape, [2, 2]);
  assert.deepEqual(Array.from(block.data), [1, 2, 5, 6]);
  assert.deepEqual(Array.from((run('W[:, 3]', tensors) as { data: ArrayLike<number> }).data), [3, 7, 11]);
  assert.equal(run('norm(g[0])', tensors), 5);
  assert.equal(run('g[0].norm()', tensors), 5);
  assert.equal(run('mean(W)', tensors), 5.5);
  assert.equal(run('max(W) - min(W)', tensors), 11);
  assert.equal(run('W.size', tensors), 12);
  assert.equal(run('layers[1].grad.norm()', tensors), Math.hypot(1.5, 2, 2.5));
  assert.ok(Math.abs((run('cos(g[0], G)', tensors) as number) - (1.5 * 3 + 2 * 4) / (5 * Math.hypot(1.5, 2, 2.5))) < 1e-12);
  assert.equal(formatValue(run('shape(W)', tensors)), 'int32[2] [3, 4]');
  assert.equal(run('norm(g[0] * 2)', tensors), 10);
  assert.equal(run('sum(g[0] - g[0])', tensors), 0);
  assert.deepEqual((run('W.T', tensors) as { shape: number[] }).shape, [4, 3]);
});

test('tensor errors are positioned and say what fits', () => {
  errorAt(() => run('W[3, 0]', tensors), 2, /index 3 is out of range 0…2/);
  errorAt(() => run('W[0, 0, 0]', tensors), 0, /3 indices for a tensor of 2 dimensions/);
  errorAt(() => run('W[0.5]', tensors), 2, /whole number/);
  errorAt(() => run('cos(g[0], W)', tensors), 0, /same size, got 3 and 12/);
  errorAt(() => run('g + W', tensors), 0, /same shape/);
  errorAt(() => run('layers[0].bias', tensors), 0, /layers\[0\] has no "bias"/);
  errorAt(() => run('nrm(W)', tensors), 0, /unknown function "nrm"/);
  errorAt(() => run('layers[5]', tensors), 7, /out of range/);
});

test('formatting puts dtype and shape first, then the summary', () => {
  assert.equal(formatValue(W), 'float32[3×4]  min 0  max 11  mean 5.5  norm 22.4944');
  assert.equal(formatValue(G), 'float32[3] [1.5, 2, 2.5]');
  assert.equal(formatValue(0.000012345), '1.2345e-5');
});

test('logpoints interpolate {expressions}; a bad part is reported with its offset in the message', () => {
  assert.equal(interpolate('step {step}: ‖G‖ = {gradNorm}', frame), 'step 4: ‖G‖ = 0.5');
  assert.match(interpolate('{nope}', frame), /<unknown name "nope"/);
  errorAt(() => checkLogMessage('g = {gradNorm >}'), 15, /ends too early/);
  errorAt(() => checkLogMessage('g = {gradNorm'), 4, /not closed/);
});
