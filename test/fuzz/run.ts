// `npm run fuzz [-- --seed N --models N --data N --cli N]`: seeded model-file and data-file mutations
// through the parser, the loaders, training and the real CLI; prints the counts and exits 1 when
// any case ended in an internal error or took longer than the hang budget.

import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { modelCases } from './models';
import { dataCases, writeWorkspace } from './data';
import { newTally, runCliCase, runDataCase, runModelCase, HANG_MS, type Tally } from './runner';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { seed: { type: 'string' }, models: { type: 'string' }, data: { type: 'string' }, cli: { type: 'string' } },
  });
  const seed = Number(values.seed ?? 20261201);
  const nModels = Number(values.models ?? 520);
  const nData = Number(values.data ?? 120);
  const nCli = Number(values.cli ?? 40);
  const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');
  const ws = mkdtempSync(path.join(os.tmpdir(), 'gl-fuzz-'));
  writeWorkspace(ws);
  const started = performance.now();
  const models = newTally();
  const data = newTally();
  const viaCli = newTally();
  try {
    const cases = modelCases(seed, nModels);
    for (let i = 0; i < cases.length; i++) await runModelCase(cases[i], ws, i, models);
    const dcases = dataCases(seed, nData);
    for (let i = 0; i < dcases.length; i++) await runDataCase(dcases[i], ws, i, data);
    // The CLI cases are the first model mutations again, now through the built CLI in a child process.
    for (let i = 0; i < Math.min(nCli, cases.length); i++) runCliCase(cases[i], ws, i, viaCli, cli);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
  const line = (name: string, n: number, t: Tally) =>
    `${name.padEnd(16)} ${String(n).padStart(5)} cases: ${t.accepted} accepted, ${t.refused} refused with a message, ${t.internal} internal errors, ${t.slow} over ${HANG_MS / 1000} s (slowest ${(t.slowestMs / 1000).toFixed(2)} s)`;
  process.stdout.write(
    `fuzz seed ${seed}\n${line('model files', nModels, models)}\n${line('data files', nData, data)}\n${line('CLI (child)', Math.min(nCli, nModels), viaCli)}\n`,
  );
  process.stdout.write(
    `peak memory of the in-process runs: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; ${((performance.now() - started) / 1000).toFixed(1)} s in all\n`,
  );
  for (const p of [...models.problems, ...data.problems, ...viaCli.problems]) process.stdout.write(`\n${p}\n`);
  return models.internal + data.internal + viaCli.internal + models.slow + data.slow + viaCli.slow === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`${(e as Error).stack}\n`);
    process.exitCode = 1;
  },
);
