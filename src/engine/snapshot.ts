// The CLI `snapshot`: one batch at the current weights with its loss, each example's loss and,
// for every parameter, the batch gradient and all per-example gradients. Runs on a separate
// network (the evaluation one, sharing the weights) so the last training step's state survives.

import type { Dataset } from '../data/dataset';
import type { LossName } from '../model/spec';
import type { Network } from './network';
import { computeLoss } from './loss';

export interface BatchSnapshot {
  loss: number;
  /** y: class indices (cross-entropy) or one-hot target rows (mse). */
  batch: { x: number[][]; y: number[] | number[][] };
  perExampleLoss: number[];
  parameters: { name: string; layer: number; shape: number[]; value: number[]; grad: number[]; perExampleGrad: number[][] }[];
}

export function buildBatchSnapshot(net: Network, loss: LossName, data: Dataset, indices: number[]): BatchSnapshot {
  const size = net.inputSize;
  const classes = net.outputSize;
  const chunk = net.maxBatch;
  const labels = new Int32Array(chunk);
  const predictions = new Int32Array(chunk);
  const lossBuffer = new Float64Array(chunk);
  const perExampleLoss: number[] = [];
  const tensors = net.paramLayers.flatMap((layer) => layer.params.map((p) => ({ layer, p, rows: [] as number[][] })));
  for (let start = 0; start < indices.length; start += chunk) {
    const m = Math.min(chunk, indices.length - start);
    for (let i = 0; i < m; i++) {
      const src = indices[start + i] * size;
      net.input.set(data.x.subarray(src, src + size), i * size);
      labels[i] = data.y[indices[start + i]];
    }
    const out = net.forward(m);
    computeLoss(loss, out, labels, m, classes, lossBuffer, predictions, net.outputGrad);
    net.backward(m);
    for (let i = 0; i < m; i++) perExampleLoss.push(lossBuffer[i]);
    for (const t of tensors) {
      const all = t.layer.perExampleTensor(t.p.info.kind, m);
      for (let i = 0; i < m; i++) t.rows.push(Array.from(all.subarray(i * t.p.size, (i + 1) * t.p.size)));
    }
  }
  const M = indices.length;
  const x = indices.map((idx) => Array.from(data.x.subarray(idx * size, (idx + 1) * size)));
  const y =
    loss === 'mse'
      ? indices.map((idx) => Array.from({ length: classes }, (_, j) => (j === data.y[idx] ? 1 : 0)))
      : indices.map((idx) => data.y[idx]);
  return {
    loss: perExampleLoss.reduce((a, b) => a + b, 0) / M,
    batch: { x, y },
    perExampleLoss,
    parameters: tensors.map(({ p, rows }) => {
      const grad = new Array<number>(p.size).fill(0);
      for (const row of rows) for (let j = 0; j < p.size; j++) grad[j] += row[j];
      for (let j = 0; j < p.size; j++) grad[j] /= M;
      return {
        name: p.info.name,
        layer: p.info.layer,
        shape: p.info.shape.slice(),
        value: Array.from(p.value),
        grad,
        perExampleGrad: rows,
      };
    }),
  };
}
