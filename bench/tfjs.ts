// TensorFlow.js peer (tfjs-core + tfjs-backend-wasm, XNNPACK) running the same workloads on the same
// data and initial weights as our engine. Layout differences handled here: our dense weight is
// [in, out] like tf.matMul wants; our conv weight [out, in, kh, kw] becomes TF's [kh, kw, in, out];
// TF images are NHWC, so the dense layer after flatten gets its rows permuted from (c, h, w) to (h, w, c).

import { createRequire } from 'node:module';
import type { NamedTensor } from '../src/engine';
import type { BenchData } from './data';
import { log, timeFor, type Timing } from './timing';

type Tf = typeof import('@tensorflow/tfjs-core');
type Tensor = import('@tensorflow/tfjs-core').Tensor;
type Variable = import('@tensorflow/tfjs-core').Variable;

export interface TfjsResult {
  version: string;
  backend: string;
  threads: number;
  mlp: { firstBatchLoss: number; forwardBackwardMs: number; perExampleLoopMs: number; train: Timing };
  cnn: { firstBatchLoss: number; train: Timing } | { firstBatchLoss: number; skipped: string };
}

/**
 * tfjs-core's CommonJS build (what Node loads) registers no gradients: they live in ESM files with
 * extensionless imports that Node cannot load. Bundle them with esbuild (a devDependency) at run
 * time; tfjs keeps its engine and gradient registry on the global object, so this copy's
 * registrations are the ones the loaded tfjs-core uses.
 */
async function registerTfjsGradients(): Promise<void> {
  const req = createRequire(__filename);
  const esbuild = req('esbuild') as typeof import('esbuild');
  const out = await esbuild.build({
    stdin: { contents: "import '@tensorflow/tfjs-core/dist/register_all_gradients';", resolveDir: process.cwd() },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    write: false,
    logLevel: 'error',
  });
  new Function('require', 'module', 'exports', out.outputFiles[0].text)(req, { exports: {} }, {});
}

export async function runTfjs(
  data: BenchData,
  mlpWeights: NamedTensor[],
  cnnWeights: NamedTensor[],
  firstBatch: number[],
  budgetSeconds: number,
): Promise<TfjsResult> {
  const tf: Tf = await import('@tensorflow/tfjs-core');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  await registerTfjsGradients();
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs wasm backend failed to initialise');
  await tf.ready();
  const { batchSize: bs, learningRate, numClasses } = data;

  const xAll = tf.tensor2d(data.x, [data.count, data.features]);
  const yAll = tf.oneHot(tf.tensor1d(data.y, 'int32'), numClasses);
  const first = tf.tensor1d(firstBatch, 'int32');
  const starts: number[] = [];
  for (let s = 0; s + bs <= data.count; s += bs) starts.push(s);
  let cursor = 0;
  const nextBatch = (): [Tensor, Tensor] => {
    const s = starts[cursor++ % starts.length];
    return [tf.slice(xAll, [s, 0], [bs, data.features]), tf.slice(yAll, [s, 0], [bs, numClasses])];
  };

  // ---- MLP
  log('tfjs MLP');
  const mlpVars = mlpWeights.map((w) => tf.variable(tf.tensor(w.value, w.shape), true, `mlp_${w.name}`));
  const mlp = (x: Tensor): Tensor => {
    let h: Tensor = x;
    for (let l = 0; l < mlpVars.length; l += 2) {
      h = tf.add(tf.matMul(h, mlpVars[l]), mlpVars[l + 1]);
      if (l + 2 < mlpVars.length) h = tf.relu(h);
    }
    return h;
  };
  const mlpFirstLoss = tf.tidy(
    () => tf.losses.softmaxCrossEntropy(tf.gather(yAll, first), mlp(tf.gather(xAll, first))).dataSync()[0],
  );
  const [xb, yb] = nextBatch();
  const fwdBwd = timeFor(() => {
    tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(yb, mlp(xb)) as import('@tensorflow/tfjs-core').Scalar,
        mlpVars as Variable[],
      );
      Object.values(grads).forEach((g) => g.dataSync());
    });
  }, budgetSeconds / 2);
  // TF.js has no vmap: per-example gradients are M single-example backward passes.
  const perExampleLoop = timeFor(() => {
    tf.tidy(() => {
      for (let i = 0; i < bs; i++) {
        const xi = tf.slice(xb, [i, 0], [1, data.features]),
          yi = tf.slice(yb, [i, 0], [1, numClasses]);
        const { grads } = tf.variableGrads(
          () => tf.losses.softmaxCrossEntropy(yi, mlp(xi)) as import('@tensorflow/tfjs-core').Scalar,
          mlpVars as Variable[],
        );
        Object.values(grads).forEach((g) => g.dataSync());
      }
    });
  }, budgetSeconds / 2);
  const sgd = tf.train.sgd(learningRate);
  const trainStep = (model: (x: Tensor) => Tensor, vars: Variable[], reshape?: (x: Tensor) => Tensor) => () => {
    tf.tidy(() => {
      const [x, y] = nextBatch();
      const input = reshape ? reshape(x) : x;
      const loss = sgd.minimize(
        () => tf.losses.softmaxCrossEntropy(y, model(input)) as import('@tensorflow/tfjs-core').Scalar,
        true,
        vars,
      );
      loss?.dataSync(); // wait for the step, as our engine reports the loss every step
    });
  };
  const mlpTrain = timeFor(trainStep(mlp, mlpVars), budgetSeconds, bs);

  // ---- CNN
  log('tfjs CNN');
  const cnnVars: Variable[] = [];
  for (const w of cnnWeights) {
    let t: Tensor = tf.tensor(w.value, w.shape);
    if (w.kind === 'weight' && w.shape.length === 4)
      t = tf.transpose(t, [2, 3, 1, 0]); // [kh, kw, in, out]
    else if (w.kind === 'weight') t = tf.tensor(permuteFlattenRows(w.value, w.shape, [16, 7, 7]), w.shape);
    cnnVars.push(tf.variable(t, true, `cnn_${w.name}`));
  }
  const cnn = (x: Tensor): Tensor => {
    let h = x as import('@tensorflow/tfjs-core').Tensor4D;
    for (const l of [0, 2]) {
      const z = tf.relu(tf.add(tf.conv2d(h, cnnVars[l] as import('@tensorflow/tfjs-core').Tensor4D, 1, 'same'), cnnVars[l + 1]));
      h = tf.maxPool(z as import('@tensorflow/tfjs-core').Tensor4D, 2, 2, 'valid');
    }
    return tf.add(tf.matMul(tf.reshape(h, [h.shape[0], -1]), cnnVars[4]), cnnVars[5]);
  };
  const toImages = (x: Tensor): Tensor => tf.reshape(x, [x.shape[0], 28, 28, 1]);
  const cnnFirstLoss = tf.tidy(
    () => tf.losses.softmaxCrossEntropy(tf.gather(yAll, first), cnn(toImages(tf.gather(xAll, first)))).dataSync()[0],
  );
  let cnnResult: TfjsResult['cnn'];
  try {
    cnnResult = { firstBatchLoss: cnnFirstLoss, train: timeFor(trainStep(cnn, cnnVars, toImages), budgetSeconds, bs) };
  } catch (e) {
    // tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so a conv net cannot train on it.
    cnnResult = { firstBatchLoss: cnnFirstLoss, skipped: `training fails on tfjs-backend-wasm: ${(e as Error).message}` };
  }

  const result: TfjsResult = {
    version: tf.version_core,
    backend: tf.getBackend(),
    threads: wasm.getThreadsCount(),
    mlp: {
      firstBatchLoss: mlpFirstLoss,
      forwardBackwardMs: fwdBwd.stepMs,
      perExampleLoopMs: perExampleLoop.stepMs,
      train: mlpTrain,
    },
    cnn: cnnResult,
  };
  tf.disposeVariables();
  return result;
}

/** Dense rows in our (c, h, w) flatten order → TF's NHWC (h, w, c) flatten order. */
function permuteFlattenRows(value: number[], shape: number[], chw: [number, number, number]): number[] {
  const [c, h, w] = chw;
  const cols = shape[1];
  const out = new Array<number>(value.length);
  for (let ci = 0; ci < c; ci++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const ours = (ci * h + y) * w + x,
          theirs = (y * w + x) * c + ci;
        for (let j = 0; j < cols; j++) out[theirs * cols + j] = value[ours * cols + j];
      }
  return out;
}
