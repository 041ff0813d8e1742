// `gradient-lens torch <file> [--nproc N] [--steps K] [--epochs E] [--json] [--python P]`: train a
// model file on PyTorch DistributedDataParallel (N ranks, gloo on the CPU, NCCL on CUDA), from the
// built-in engine's initial weights and over the engine's batches. With --json, one object per
// step (the same record as `train --json`, plus `ranks`) and per epoch on stdout.

import { parseArgs } from 'node:util';
import { Trainer } from '../engine';
import type { StepRecord } from '../run/source';
import { BadInput, EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, loadModel } from './common';
import { DEFAULT_PYTHON, TorchSource } from '../torch/source';

const USAGE = `usage: gradient-lens torch <file> [--nproc N] [--steps K] [--epochs E] [--json] [--python P]
          [--master-port P] [--stall-timeout S] [--workspace DIR]
  --nproc          ranks (processes) on this machine (default 1)
  --steps          stop after K steps (default: every step of the epochs)
  --python         the interpreter with PyTorch (default ${DEFAULT_PYTHON})
  --stall-timeout  seconds without a heartbeat from a rank before the run counts as hung (default 120)
`;

export async function runTorchCli(argv: string[]): Promise<number> {
  let values, positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        nproc: { type: 'string' },
        steps: { type: 'string' },
        epochs: { type: 'string' },
        json: { type: 'boolean', default: false },
        python: { type: 'string' },
        'master-port': { type: 'string' },
        'stall-timeout': { type: 'string' },
        workspace: { type: 'string' },
        float64: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    process.stderr.write(`gradient-lens torch: ${(e as Error).message}\n${USAGE}`);
    return EXIT_BAD_INPUT;
  }
  if (values.help) {
    process.stderr.write(USAGE);
    return EXIT_OK;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`gradient-lens torch: takes exactly one model file\n${USAGE}`);
    return EXIT_BAD_INPUT;
  }
  const nproc = int('--nproc', values.nproc, 1) ?? 1;
  const steps = int('--steps', values.steps, 1);
  const epochs = int('--epochs', values.epochs, 1);
  const masterPort = int('--master-port', values['master-port'], 0);
  const stall = values['stall-timeout'] === undefined ? undefined : Number(values['stall-timeout']);
  if (stall !== undefined && !(stall > 0))
    throw new BadInput(`--stall-timeout: expected a positive number of seconds, got "${values['stall-timeout']}"`);
  const model = await loadModel({
    file: positionals[0],
    float64: values.float64 ?? false,
    wasm: false,
    workspace: values.workspace ?? process.cwd(),
  });
  const spec = { ...model.spec, epochs: epochs ?? model.spec.epochs };
  const trainer = new Trainer({ spec, train: model.train, validation: model.validation });
  const err = process.stderr;
  const total = Math.min(trainer.totalSteps, steps ?? Infinity);
  err.write(
    `${spec.name}: ${model.train.count} training examples; ${trainer.layers.map((l) => l.label).join(' → ')}\n` +
      `PyTorch, ${nproc} rank${nproc === 1 ? '' : 's'}, ${total} step${total === 1 ? '' : 's'} of batch size ${spec.batchSize}, from the engine's initial weights\n`,
  );
  const source = new TorchSource({
    file: model.file,
    spec,
    train: model.train,
    validation: model.validation,
    weights: trainer.getWeights(),
    layers: trainer.layers,
    nproc,
    maxSteps: steps,
    python: values.python,
    masterPort,
    stallTimeoutSeconds: stall,
  });
  let failed: string | null = null;
  let last: StepRecord | null = null;
  const started = performance.now();
  process.once('SIGINT', () => {
    void source.control({ type: 'stop' });
  });
  await source.start((ev) => {
    switch (ev.type) {
      case 'loaded':
        err.write(`on ${ev.run.backend}\n`);
        break;
      case 'step':
        last = ev.record;
        if (values.json) process.stdout.write(`${JSON.stringify({ type: 'step', ...ev.record })}\n`);
        else
          err.write(
            `step ${ev.record.step}/${total}  loss ${ev.record.loss.toFixed(4)}  ranks ${(ev.record.ranks ?? []).map((r) => r.batchSize).join('+')}\n`,
          );
        break;
      case 'epoch':
        if (values.json) process.stdout.write(`${JSON.stringify({ type: 'epoch', ...ev.epoch })}\n`);
        else
          err.write(
            `epoch ${ev.epoch.epoch}  loss ${ev.epoch.trainLoss.toFixed(4)}  acc ${(ev.epoch.trainAccuracy * 100).toFixed(1)}%\n`,
          );
        break;
      case 'failed':
        failed = ev.error.message;
        break;
      default:
        break;
    }
  });
  await source.whenEnded();
  const seconds = (performance.now() - started) / 1000;
  if (failed) {
    err.write(`${model.file}: PyTorch run failed: ${failed}\n`);
    return EXIT_FAILURE;
  }
  const lastRecord = last as StepRecord | null;
  err.write(
    `done in ${seconds.toFixed(2)} s, ${lastRecord ? `${lastRecord.step} steps, final batch loss ${lastRecord.loss.toFixed(4)}` : 'no steps'}\n`,
  );
  return EXIT_OK;
}

function int(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new BadInput(`${flag}: expected an integer of at least ${min}, got "${v}"`);
  return n;
}
