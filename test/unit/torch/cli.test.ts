// The done-when check as a user runs it: `gradient-lens torch … --nproc 2 --steps 3 --json` against
// `gradient-lens train … --json` (the bundled dist/cli.js, built first if missing).
import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { relative, root } from './run';

const cli = path.join(root, 'dist/cli.js');
const model = path.join(root, 'examples/digits/digits.gradlens.json');
const run = (args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
const steps = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((l) => l.type === 'step');

before(() => {
  if (!existsSync(cli)) assert.equal(spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root }).status, 0);
});

test('torch --nproc 2 --steps 3 --json: three records matching train --json, each with two ranks adding up to the batch', () => {
  const torch = run(['torch', model, '--nproc', '2', '--steps', '3', '--json']);
  assert.equal(torch.status, 0, torch.stderr);
  const engine = run(['train', model, '--json', '--epochs', '1']);
  assert.equal(engine.status, 0, engine.stderr);
  const t = steps(torch.stdout),
    e = steps(engine.stdout).slice(0, 3);
  assert.equal(t.length, 3);
  for (const [s, rec] of t.entries()) {
    assert.ok(relative(rec.loss, e[s].loss) < 1e-3, `step ${rec.step} loss ${rec.loss} vs ${e[s].loss}`);
    for (const [l, layer] of rec.layers.entries()) {
      assert.ok(relative(layer.gradNorm, e[s].layers[l].gradNorm) < 1e-3, `step ${rec.step} layer ${layer.layer}`);
    }
    assert.equal(rec.ranks.length, 2);
    assert.equal(rec.ranks[0].batchSize + rec.ranks[1].batchSize, rec.batchSize);
  }
  assert.match(torch.stderr, /on pytorch-ddp\(gloo, 2 ranks\)/);
});

test('torch with bad arguments exits 2 with a message', () => {
  const r = run(['torch', model, '--nproc', '0']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--nproc: expected an integer of at least 1, got "0"/);
});
