// `gradient-lens snapshot`: the first batch at the initial weights, as JSON, for comparison with
// other frameworks (layout documented in the README: dense weights [in, out], conv [out, in, kh, kw]).
// The memory estimate refuses a batch whose per-example gradients would not fit; the JSON is
// written in pieces (never one huge string), to stdout or atomically to --out.

import { once } from 'node:events';
import { Trainer } from '../engine';
import { writeFileAtomic } from '../export/atomicWrite';
import { jsonChunks } from '../export/jsonChunks';
import { DataError } from '../errors/types';
import { CommonOptions, EXIT_OK, loadModel, pickBackend } from './common';

export async function runSnapshot(opts: CommonOptions & { out?: string }): Promise<number> {
  const model = await loadModel(opts, { snapshot: true });
  const backend = await pickBackend(model.spec, opts);
  const trainer = new Trainer({ spec: model.spec, train: model.train, validation: model.validation, backend, stats: 'none' });
  const snapshot = trainer.batchSnapshot();
  if (opts.out) {
    try {
      await writeFileAtomic(opts.out, jsonChunks(snapshot));
    } catch (e) {
      throw new DataError(opts.out, `cannot write the snapshot (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    process.stderr.write(`snapshot of ${model.file} written to ${opts.out}\n`);
  } else {
    for (const piece of jsonChunks(snapshot)) {
      if (!process.stdout.write(piece)) await once(process.stdout, 'drain');
    }
    process.stdout.write('\n');
  }
  return EXIT_OK;
}
