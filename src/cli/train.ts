// `gradient-lens train`: train a model file, with a progress bar and a line per epoch on stderr,
// or one JSON object per step and per epoch on stdout with --json.

import { Trainer } from '../engine';
import type { EpochStats, StepStats } from '../engine/types';
import { backendLabel } from '../engine/chooseBackend';
import { CommonOptions, EXIT_FAILURE, EXIT_OK, loadModel, pickBackendChoice } from './common';
import { ProgressBar } from './progress';
import { plainText } from '../views/plainText';

export interface TrainOptions extends CommonOptions {
  json: boolean;
  epochs?: number;
  batchSize?: number;
}

export async function runTrain(opts: TrainOptions): Promise<number> {
  const override = {
    ...(opts.epochs !== undefined ? { epochs: opts.epochs } : {}),
    ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
  };
  const model = await loadModel(opts, { override });
  const spec = model.spec;
  const choice = await pickBackendChoice(spec, opts);
  const backend = choice.backend;
  const trainer = new Trainer({ spec, train: model.train, validation: model.validation, backend });
  const err = process.stderr;
  // The name and the data's name are the user's text: no escape sequences reach the terminal.
  err.write(
    `${plainText(spec.name, 200)}: ${model.train.count} training and ${model.validation?.count ?? 0} validation examples ` +
      `from ${plainText(model.train.name, 500)}; ${trainer.layers.map((l) => l.label).join(' → ')}\n` +
      `batch size ${spec.batchSize}, ${spec.epochs} epochs of ${trainer.stepsPerEpoch} steps, ` +
      `${spec.optimizer.type} lr ${spec.optimizer.learningRate}, ${spec.dtype} on ${backendLabel(choice)}\n`,
  );
  const bar = new ProgressBar(trainer.totalSteps);
  const started = performance.now();
  let lastLoss = NaN;
  while (!trainer.done()) {
    const stats: StepStats = trainer.trainStep();
    lastLoss = stats.loss;
    if (opts.json) process.stdout.write(`${JSON.stringify({ type: 'step', ...stats })}\n`);
    if (stats.nonFinite) {
      bar.finish();
      const nf = stats.nonFinite;
      err.write(`${model.file}: step ${stats.step}: ${nf.message}; training stopped\n`);
      return EXIT_FAILURE;
    }
    bar.update(
      trainer.step,
      `epoch ${stats.epoch}/${spec.epochs} step ${trainer.step}/${trainer.totalSteps} loss ${fmt(stats.loss)}`,
    );
    if (trainer.epochJustEnded()) {
      const epoch = trainer.evaluate();
      if (opts.json) process.stdout.write(`${JSON.stringify({ type: 'epoch', ...epoch })}\n`);
      bar.log(epochLine(epoch, spec.epochs));
    }
  }
  bar.finish();
  const seconds = (performance.now() - started) / 1000;
  const examples = trainer.step > 0 ? Math.min(trainer.totalSteps * spec.batchSize, spec.epochs * model.train.count) : 0;
  err.write(
    `done in ${seconds.toFixed(2)} s (${Math.round(examples / seconds)} examples/s), final batch loss ${fmt(lastLoss)}\n`,
  );
  return EXIT_OK;
}

function epochLine(e: EpochStats, epochs: number): string {
  const val = e.validationLoss === null ? '' : `  val loss ${fmt(e.validationLoss)}  val acc ${pct(e.validationAccuracy ?? NaN)}`;
  return `epoch ${String(e.epoch).padStart(String(epochs).length)}/${epochs}  loss ${fmt(e.trainLoss)}  acc ${pct(e.trainAccuracy)}${val}  ${e.seconds.toFixed(2)} s`;
}

const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : String(x));
const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : String(x));
