// A small seeded share of the fuzz suite (`npm run fuzz` runs the full one): mutated model files
// through the parser, the loader and training, mutated data files through the loaders, and a few
// model files through the real CLI. None may end in an internal error or hang.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { modelCases } from '../../fuzz/models';
import { dataCases, writeWorkspace } from '../../fuzz/data';
import { newTally, runCliCase, runDataCase, runModelCase } from '../../fuzz/runner';

const root = path.resolve(__dirname, '../../..');
const cli = path.join(root, 'dist/cli.js');
let ws = '';

before(() => {
  if (!existsSync(cli)) assert.equal(spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root }).status, 0);
  ws = mkdtempSync(path.join(os.tmpdir(), 'gl-fuzz-unit-'));
  writeWorkspace(ws);
});
after(() => rmSync(ws, { recursive: true, force: true }));

test('80 mutated model files: refused with a message or trained, never an internal error', async () => {
  const t = newTally();
  const cases = modelCases(11, 80);
  for (let i = 0; i < cases.length; i++) await runModelCase(cases[i], ws, i, t);
  assert.deepEqual({ internal: t.internal, slow: t.slow, problems: t.problems }, { internal: 0, slow: 0, problems: [] });
  assert.ok(t.accepted > 0 && t.refused > 0, `both outcomes reached: ${t.accepted} accepted, ${t.refused} refused`);
});

test('40 mutated data files: loaded or refused with a DataError, never an internal error', async () => {
  const t = newTally();
  const cases = dataCases(12, 40);
  for (let i = 0; i < cases.length; i++) await runDataCase(cases[i], ws, i, t);
  assert.deepEqual({ internal: t.internal, slow: t.slow, problems: t.problems }, { internal: 0, slow: 0, problems: [] });
  assert.ok(t.accepted > 0 && t.refused > 0, `both outcomes reached: ${t.accepted} accepted, ${t.refused} refused`);
});

test('3 mutated model files through the built CLI', () => {
  const t = newTally();
  const cases = modelCases(13, 3);
  cases.forEach((c, i) => runCliCase(c, ws, i, t, cli));
  assert.deepEqual({ internal: t.internal, slow: t.slow, problems: t.problems }, { internal: 0, slow: 0, problems: [] });
});
