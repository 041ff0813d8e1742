// `gradient-lens snapshot`: the first batch at the initial weights, as JSON, for comparison with
// other frameworks (layout documented in the README: dense weights [in, out], conv [out, in, kh, kw]).

import { writeFileSync } from 'node:fs';
import { Trainer } from '../engine';
import { BadInput, CommonOptions, EXIT_OK, loadModel, pickBackend } from './common';

export async function runSnapshot(opts: CommonOptions & { out?: string }): Promise<number> {
  const model = await loadModel(opts);
  const backend = await pickBackend(model.spec, opts.wasm);
  const trainer = new Trainer({ spec: model.spec, train: model.train, validation: model.validation, backend, stats: 'none' });
  const json = JSON.stringify(trainer.batchSnapshot());
  if (opts.out) {
    try {
      writeFileSync(opts.out, json);
    } catch (e) {
      throw new BadInput(`${opts.out}: cannot write the snapshot (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    process.stderr.write(`snapshot of ${model.file} written to ${opts.out}\n`);
  } else {
    process.stdout.write(`${json}\n`);
  }
  return EXIT_OK;
}
