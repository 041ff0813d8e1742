// The initial weights against the rule the engine documents: He-normal, std √(2/fan_in), for a layer
// followed by a (leaky) ReLU, Glorot-uniform on ±√(6/(fan_in + fan_out)) otherwise. The random
// numbers come from a second generator with the same seed (the generator itself is checked against
// published and Python reference values in random.mutants.oracle), so each weight is one draw times
// the rule's scale; the draws a call uses are checked too (the next layer's weights continue the
// same stream), and the spread against the rule's variance on many weights.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { initWeights } from '../../../src/engine/init';
import { Rng } from '../../../src/engine/random';

test('He-normal: each weight is one standard normal draw times √(2/fan_in), fan_out unused', () => {
  const rng = new Rng(7);
  const w = new Float64Array(6);
  initWeights(rng, w, 8, 3, true);
  const same = new Rng(7);
  // fan_in 8: std √(2/8) = 0.5
  assert.deepEqual(
    Array.from(w),
    Array.from({ length: 6 }, () => same.normal() * 0.5),
  );
  const wider = new Float64Array(6);
  initWeights(new Rng(7), wider, 8, 1000, true);
  assert.deepEqual(Array.from(wider), Array.from(w), 'the fan-out does not change a He weight');
});

test('Glorot-uniform: each weight is (2u − 1)·√(6/(fan_in + fan_out)) for one uniform draw u', () => {
  const rng = new Rng(7);
  const w = new Float64Array(5);
  initWeights(rng, w, 2, 1, false);
  // seed 7's first uniform draws (Python reference): 0.2338277…, 0.5122324…, 0.4489145…; limit √(6/3) = √2
  const first = [0.23382771760225296, 0.5122324188705534, 0.4489145821426064];
  first.forEach((u, i) => assert.ok(Math.abs(w[i] - (2 * u - 1) * Math.SQRT2) < 1e-15, `weight ${i}: ${w[i]}`));
  const same = new Rng(7);
  assert.deepEqual(
    Array.from(w),
    Array.from({ length: 5 }, () => (2 * same.next() - 1) * Math.SQRT2),
  );
});

test('each call takes exactly one draw per weight, so the next layer continues the same stream', () => {
  for (const relu of [true, false]) {
    const rng = new Rng(11);
    const a = new Float32Array(3);
    const b = new Float32Array(4);
    initWeights(rng, a, 4, 2, relu);
    initWeights(rng, b, 4, 2, relu);
    const same = new Rng(11);
    const draw = (): number => (relu ? same.normal() * Math.sqrt(2 / 4) : (2 * same.next() - 1) * 1);
    const want = Float32Array.from({ length: 7 }, draw);
    assert.deepEqual([...a, ...b], Array.from(want), relu ? 'He' : 'Glorot');
  }
});

test('the spread follows the rule: variance 2/fan_in (He), limit²/3 inside ±limit (Glorot)', () => {
  const n = 20000;
  const he = new Float64Array(n);
  initWeights(new Rng(3), he, 50, 10, true);
  const variance = (x: Float64Array): number => x.reduce((s, v) => s + v * v, 0) / x.length;
  // 20,000 draws: the sample variance is within 3 % of 2/50 with room to spare
  assert.ok(Math.abs(variance(he) / (2 / 50) - 1) < 0.03, `He variance ${variance(he)}`);
  const glorot = new Float64Array(n);
  initWeights(new Rng(3), glorot, 50, 10, false);
  const limit = Math.sqrt(6 / 60);
  assert.ok(
    glorot.every((v) => Math.abs(v) <= limit),
    'every Glorot weight inside ±limit',
  );
  assert.ok(Math.max(...glorot.map(Math.abs)) > 0.99 * limit, 'the draws reach close to the limit');
  assert.ok(Math.abs(variance(glorot) / (limit ** 2 / 3) - 1) < 0.03, `Glorot variance ${variance(glorot)}`);
  assert.ok(Math.abs(glorot.reduce((s, v) => s + v, 0) / n) < 0.01 * limit, 'Glorot weights centred on 0');
});
