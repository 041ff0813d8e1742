// `gradient-lens check`: central finite differences in float64 against the analytic gradients of
// every parameterised layer; exit 1 when any layer is over tolerance.

import { gradientCheck } from '../engine';
import { CommonOptions, EXIT_FAILURE, EXIT_OK, loadModel } from './common';

export async function runCheck(opts: CommonOptions): Promise<number> {
  const model = await loadModel({ ...opts, float64: true });
  const result = gradientCheck(model.spec, model.train);
  const out = process.stdout;
  out.write(`gradient check of ${model.file} (float64, central differences, tolerance ${result.tolerance.toExponential(0)})\n`);
  const width = Math.max(5, ...result.layers.map((l) => l.name.length));
  out.write(`${'layer'.padEnd(width)}  checked  max rel. error  result\n`);
  for (const l of result.layers) {
    out.write(
      `${l.name.padEnd(width)}  ${String(l.checked).padStart(7)}  ${l.maxRelativeError.toExponential(2).padStart(13)}  ${l.passed ? 'pass' : 'FAIL'}\n`,
    );
  }
  out.write(result.passed ? 'all layers pass\n' : 'some layers are over tolerance\n');
  return result.passed ? EXIT_OK : EXIT_FAILURE;
}
