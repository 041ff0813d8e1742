// The CLI as a user runs it: the bundled dist/cli.js in a child process (built first if missing).
import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../../..');
const cli = path.join(root, 'dist/cli.js');
const run = (args: string[], cwd = root) =>
  spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });

before(() => {
  if (!existsSync(cli)) assert.equal(spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root }).status, 0);
});

test('train --json writes one object per step and per epoch; the loss falls', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-cli-'));
  const model = path.join(dir, 'small.gradlens.json');
  writeFileSync(
    model,
    `{ "seed": 2, "data": { "source": "mnist", "limit": 200 },
    "layers": [ { "type": "dense", "units": 16, "activation": "relu" }, { "type": "dense", "units": 10 } ],
    "optimizer": { "learningRate": 0.1, "momentum": 0.9 }, "batchSize": 20, "epochs": 3 }`,
  );
  const r = run(['train', model, '--json', '--workspace', dir]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const steps = lines.filter((l) => l.type === 'step');
  const epochs = lines.filter((l) => l.type === 'epoch');
  assert.equal(steps.length, 3 * 8);
  assert.equal(epochs.length, 3);
  assert.equal(steps[0].perExampleLoss.length, 20);
  assert.ok(epochs[2].trainLoss < epochs[0].trainLoss);
  assert.match(r.stderr, /epoch 3\/3 {2}loss [\d.]+ {2}acc/);
});

test('bad input exits 2 with file:line:col messages; a data path outside the workspace is refused', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-cli-'));
  mkdirSync(path.join(dir, 'models'));
  const bad = path.join(dir, 'models', 'bad.gradlens.json');
  writeFileSync(bad, '{\n  "data": { "source": "mnist" },\n  "layers": [ { "type": "dense", "units": -3 } ]\n}\n');
  const r = run(['train', bad, '--workspace', dir], dir);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /models\/bad\.gradlens\.json:3:43: error: layers\[0\]\.units: expected a positive integer, got -3/);
  const escaping = path.join(dir, 'models', 'escaping.gradlens.json');
  writeFileSync(escaping, '{\n  "data": { "source": "../../secret.csv" },\n  "layers": [ { "type": "dense", "units": 3 } ]\n}\n');
  const e = run(['train', escaping, '--workspace', dir], dir);
  assert.equal(e.status, 2);
  assert.match(e.stderr, /models\/escaping\.gradlens\.json:2:23: error: data\.source: expected a path inside the workspace/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(run(['train']).status, 2);
  assert.equal(run(['frobnicate', bad]).status, 2);
  const missing = run(['train', path.join(dir, 'nope.gradlens.json')]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read the model file \(ENOENT\)/);
});

test('check passes on the examples; snapshot has the documented layout', () => {
  for (const f of ['examples/digits/digits.gradlens.json', 'examples/cnn/cnn.gradlens.json']) {
    const r = run(['check', f]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /all layers pass/);
  }
  const s = run(['snapshot', 'examples/digits/digits.gradlens.json']);
  assert.equal(s.status, 0, s.stderr);
  const snap = JSON.parse(s.stdout);
  assert.equal(snap.batch.x.length, 32);
  assert.equal(snap.batch.x[0].length, 784);
  assert.deepEqual(
    snap.parameters.map((p: { name: string }) => p.name),
    ['layers[0].weight', 'layers[0].bias', 'layers[1].weight', 'layers[1].bias', 'layers[2].weight', 'layers[2].bias'],
  );
  const w = snap.parameters[0];
  assert.deepEqual(w.shape, [784, 128]);
  assert.equal(w.perExampleGrad.length, 32);
  const mean = w.grad.map((_: number, j: number) => w.perExampleGrad.reduce((a: number, row: number[]) => a + row[j], 0) / 32);
  const worst = Math.max(...mean.map((m: number, j: number) => Math.abs(m - w.grad[j])));
  assert.ok(worst < 1e-5, `mean of per-example gradients = batch gradient (max diff ${worst})`);
  const avg = snap.perExampleLoss.reduce((a: number, b: number) => a + b, 0) / 32;
  assert.ok(Math.abs(avg - snap.loss) < 1e-5);
});
