// What goes wrong with a PyTorch run ends it cleanly: one clear `failed` event, no rank left
// running, the steps before it kept. Faults are real (a missing interpreter, an interpreter without
// torch, a too-old torch on the path, a busy port) or injected into one rank (crash, hang).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SourceEvent } from '../../../src/run/source';
import { alive, load, torchRun, torchSource, type Loaded } from './run';

let model: Loaded | null = null;
const small = async (): Promise<Loaded> =>
  (model ??= await load(`{
  "seed": 2, "data": { "source": "mnist", "limit": 64, "validationSplit": 0 },
  "layers": [ { "type": "dense", "units": 8, "activation": "relu" }, { "type": "dense", "units": 10 } ],
  "optimizer": { "learningRate": 0.1 }, "batchSize": 16, "epochs": 1 }`));

test('a rank that crashes: the others are ended, the steps before it are kept', async () => {
  const run = await torchRun(await small(), { nproc: 2, env: { GRADLENS_TEST_FAULT: 'crash@1:3' } });
  assert.equal(run.failed?.kind, 'rank-crashed');
  assert.match(run.failed!.message, /rank 1 exited with code 1 in step 3: RuntimeError: injected crash/);
  assert.deepEqual(
    run.steps.map((s) => s.step),
    [1, 2],
  );
  assert.equal(run.pids.length, 2);
  for (const pid of run.pids) assert.equal(alive(pid), false, `rank process ${pid} outlived the run`);
});

test('a rank that hangs: found by its missing heartbeat, named, and every rank ended', async () => {
  const run = await torchRun(await small(), { nproc: 2, stallTimeoutSeconds: 4, env: { GRADLENS_TEST_FAULT: 'hang@0:2' } });
  assert.equal(run.failed?.kind, 'rank-hung');
  assert.match(run.failed!.message, /^rank 0 made no progress for 4 s in step 2; rank 1 waited for it in the all-reduce/);
  assert.deepEqual(
    run.steps.map((s) => s.step),
    [1],
  );
  for (const pid of run.pids) assert.equal(alive(pid), false, `rank process ${pid} outlived the run`);
});

test('no Python at the configured path', async () => {
  const run = await torchRun(await small(), { python: path.join(os.tmpdir(), 'no-such-dir', 'python3') });
  assert.equal(run.failed?.kind, 'no-python');
  assert.match(run.failed!.message, /Python was not found at .*no-such-dir/);
});

test('a Python without torch (site-packages switched off with -S)', async () => {
  const run = await torchRun(await small(), { pythonArgs: ['-S'] });
  assert.equal(run.failed?.kind, 'no-torch');
  assert.match(run.failed!.message, /PyTorch is not installed for .*python3.*apt-get install python3-torch/);
});

test('a torch too old for functorch and communication hooks', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-oldtorch-'));
  mkdirSync(path.join(dir, 'torch'));
  writeFileSync(path.join(dir, 'torch', '__init__.py'), '__version__ = "1.8.1"\n');
  const run = await torchRun(await small(), { env: { PYTHONPATH: dir } });
  assert.equal(run.failed?.kind, 'torch-too-old');
  assert.match(run.failed!.message, /PyTorch 1\.8\.1 is too old: Gradient Lens needs 1\.13 or newer/);
});

test('the rendezvous port is in use', async () => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const run = await torchRun(await small(), { nproc: 2, masterPort: port });
    assert.equal(run.failed?.kind, 'port-in-use');
    assert.match(run.failed!.message, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
    assert.equal(run.steps.length, 0);
  } finally {
    server.close();
  }
});

test('stop during a run: the ranks are ended and the run ends as stopped, with its steps so far', async () => {
  const m = await small();
  const source = torchSource({ ...m, spec: { ...m.spec, epochs: 1000 } }, { file: 'stop.gradlens.json', nproc: 2 });
  const events: SourceEvent[] = [];
  const stops: Promise<void>[] = [];
  await source.start((e) => {
    events.push(e);
    if (e.type === 'step' && e.record.step === 2) stops.push(source.control({ type: 'stop' }));
  });
  await source.whenEnded();
  await Promise.all(stops);
  assert.equal(events.at(-1)!.type, 'stopped');
  assert.ok(events.filter((e) => e.type === 'step').length >= 2);
  for (const pid of source.rankPids) assert.equal(alive(pid), false, `rank process ${pid} outlived the run`);
  await assert.rejects(source.control({ type: 'restart' }), /a PyTorch run cannot restart/);
});
