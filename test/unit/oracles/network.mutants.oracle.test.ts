// The network builder (src/engine/network.ts) beyond the gradients: the initial weights of every
// layer drawn in order from the init stream by init.ts's rule (written out again here: He-normal
// when the layer's output goes through a ReLU or leaky ReLU, its own or the standalone layer right
// after it, else Glorot-uniform; biases 0), and which layers report dead units (those whose output
// goes through a plain ReLU), with the fraction set up by hand.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Network } from '../../../src/engine/network';
import { referenceBackend } from '../../../src/engine/reference';
import { Rng } from '../../../src/engine/random';
import { deriveSeed, Streams } from '../../../src/engine/seeds';
import { Trainer } from '../../../src/engine/trainer';
import type { LayerSpec } from '../../../src/model/spec';
import { conv, dense, makeSpec, randomDataset } from '../engine/helpers';

test('initial weights: He-normal before a ReLU or leaky ReLU (fused or the next layer), Glorot-uniform otherwise, in layer order, biases 0', () => {
  const layers: LayerSpec[] = [
    conv(3, 3, 1, 'same', 'relu'), // He, fan-in 2·9
    conv(2, 2, 1, 'valid'), // linear, then a standalone relu: He, fan-in 3·4
    { type: 'relu' },
    { type: 'maxpool2d', poolSize: 2, stride: 2 },
    conv(2, 3, 1, 'same'), // linear, then flatten (not a ReLU): Glorot, fan-in 2·9, fan-out 2·9
    { type: 'flatten' },
    dense(5, 'leaky-relu'), // He, fan-in 8
    dense(4, 'tanh'), // Glorot, fan-in 5, fan-out 4
    dense(4), // linear, then leaky-relu: He
    { type: 'leaky-relu' },
    dense(3, 'sigmoid'), // Glorot
    dense(2), // the last, linear: Glorot
  ];
  // [weights, fan-in, fan-out, He?] of each parameterised layer, by hand from the shapes 2×6×5 →
  // 3×6×5 → 2×5×4 → 2×2×2 → 2×2×2 → 8 → 5 → 4 → 4 → 3 → 2 (conv: fan-in C·k², fan-out F·k²)
  const rule: [number, number, number, boolean][] = [
    [54, 18, 27, true],
    [24, 12, 8, true],
    [36, 18, 18, false],
    [40, 8, 5, true],
    [20, 5, 4, false],
    [16, 4, 4, true],
    [12, 4, 3, false],
    [6, 3, 2, false],
  ];
  const spec = makeSpec(layers, { seed: 11 });
  const net = new Network(spec, [2, 6, 5], referenceBackend('float64'), 1);
  const rng = new Rng(deriveSeed(11, Streams.init));
  const params = net.values.filter((v) => v !== null);
  assert.equal(params.length, rule.length);
  params.forEach((v, l) => {
    const [size, fanIn, fanOut, he] = rule[l];
    assert.equal(v.weight.length, size, `layer ${l} size`);
    const expected = Array.from(v.weight, () =>
      he ? rng.normal() * Math.sqrt(2 / fanIn) : (2 * rng.next() - 1) * Math.sqrt(6 / (fanIn + fanOut)),
    );
    assert.deepEqual(Array.from(v.weight), expected, `layer ${l}`);
    assert.ok(
      v.bias.every((b) => b === 0),
      `layer ${l} bias`,
    );
  });
});

test("dead units are counted for a layer whose output goes through a plain ReLU (fused or the next layer's), not otherwise", () => {
  // units 0 and 1 of the first layer get a bias of -1000: dead for every example; 2 and 3 live
  const cases: { layers: LayerSpec[]; dead: number | null }[] = [
    { layers: [dense(4, 'relu'), dense(2)], dead: 0.5 },
    { layers: [dense(4), { type: 'relu' }, dense(2)], dead: 0.5 },
    { layers: [dense(4, 'leaky-relu'), dense(2)], dead: null },
    { layers: [dense(4), { type: 'leaky-relu' }, dense(2)], dead: null },
    { layers: [dense(4), { type: 'tanh' }, dense(2)], dead: null },
    { layers: [dense(4, 'tanh'), dense(2)], dead: null },
    // a ReLU after a layer with an activation of its own counts nothing for that layer
    { layers: [dense(4, 'tanh'), { type: 'relu' }, dense(2)], dead: null },
  ];
  for (const { layers, dead } of cases) {
    const spec = makeSpec(layers, { batchSize: 6 });
    const trainer = new Trainer({ spec, train: randomDataset(3, 6, [3], 2), validation: null });
    const bias = trainer.parameter(0, 'bias');
    bias[0] = -1000;
    bias[1] = -1000;
    bias[2] = 1000;
    bias[3] = 1000;
    const s = trainer.trainStep();
    const what = layers.map((l) => ('activation' in l ? `${l.type} ${l.activation}` : l.type)).join(', ');
    assert.equal(s.layers[0].deadFraction, dead, what);
    // the last layer is linear with nothing after it: never a dead-unit count
    assert.equal(s.layers[1].deadFraction, null, what);
  }
});

test('a network whose layers do not fit their inputs is refused, naming the layer', () => {
  const be = referenceBackend('float64');
  assert.throws(() => new Network(makeSpec([dense(3), conv(2, 3, 1, 'valid')]), [4], be, 1), {
    message: 'layers[1]: conv2d needs an image input [channels, height, width], got shape [3]',
  });
  assert.throws(() => new Network(makeSpec([conv(2, 5, 1, 'valid')]), [1, 3, 3], be, 1), {
    message: 'layers[0]: kernel 5×5 is larger than its input 3×3',
  });
});
