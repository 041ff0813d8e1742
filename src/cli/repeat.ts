// `gradient-lens repeat <file> [--example I] [--times N] [--json]`: the "repeat one example"
// experiment (src/engine/repeat.ts) in a terminal. It reads its own flags, so the command line's
// common parser stays as it is.

import { repeatOneExample, REPEAT_DEFAULT_TIMES } from '../engine/repeat';
import { BadInput, EXIT_OK, backendFactory, loadModel, parseModelCommand, parseThreadsFlag } from './common';

export const REPEAT_USAGE =
  '  gradient-lens repeat <file> [--example I] [--times N] [--json] [--float64] [--no-wasm] [--threads auto|1|2] [--workspace DIR]\n';

export async function runRepeatCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseModelCommand(argv, {
      example: { type: 'string' },
      times: { type: 'string' },
    });
  } catch (e) {
    throw new BadInput(`gradient-lens repeat: ${(e as Error).message}\nusage:\n${REPEAT_USAGE}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new BadInput(`gradient-lens repeat takes exactly one model file\nusage:\n${REPEAT_USAGE}`);
  const int = (flag: string, v: string | undefined, min: number): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new BadInput(`${flag}: expected an integer ≥ ${min}, got "${v}"`);
    return n;
  };
  const example = int('--example', values.example, 0);
  const times = int('--times', values.times, 1);
  const wasm = !values['no-wasm'];
  const threads = parseThreadsFlag(values.threads);
  const model = await loadModel({ file: positionals[0], float64: values.float64 ?? false, wasm, workspace: values.workspace });
  if (example !== undefined && example >= model.train.count) {
    throw new BadInput(
      `--example: ${example} is not a training example of ${model.file}: it has ${model.train.count} (0 to ${model.train.count - 1})`,
    );
  }
  const t0 = performance.now();
  const r = repeatOneExample({
    spec: model.spec,
    train: model.train,
    validation: model.validation,
    example,
    times: times ?? REPEAT_DEFAULT_TIMES,
    backendFactory: backendFactory({ wasm, threads }),
  });
  const seconds = (performance.now() - t0) / 1000;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ...r, seconds })}\n`);
    return EXIT_OK;
  }
  const out = process.stdout;
  const v = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(4));
  out.write(`example #${r.example.index} (label ${r.example.label}), ${r.updates} updates, learning rate ${r.learningRate}\n\n`);
  out.write('                         repeat one example   normal training (M = ' + r.batchSize + ')\n');
  out.write(
    `that example's loss      ${v(r.finalExampleLoss).padStart(18)}   ${v(r.series[r.series.length - 1].baselineExampleLoss).padStart(18)}\n`,
  );
  out.write(`validation loss          ${v(r.finalValidationLoss).padStart(18)}   ${v(r.baselineValidationLoss).padStart(18)}\n`);
  const pc = (x: number | null): string => (x === null ? 'n/a' : `${(100 * x).toFixed(1)} %`);
  out.write(
    `validation accuracy      ${pc(r.finalValidationAccuracy).padStart(18)}   ${pc(r.baselineValidationAccuracy).padStart(18)}\n`,
  );
  out.write(`\n${r.conclusion}\n(${seconds.toFixed(1)} s)\n`);
  return EXIT_OK;
}
