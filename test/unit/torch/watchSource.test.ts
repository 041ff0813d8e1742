// A gradlens.watch() script as a run: the real example loop (examples/pytorch/train.py, Debian's
// torch) connects to the real WatchListener, its WatchSource feeds the real Run (the shared
// reducer), and the run's snapshot is checked against the numbers the script computed itself with
// torch (losses, ‖grad‖ per layer, and the last step's per-example gradients one example at a
// time): never against the watcher's own lines. Also how a run ends: a crash fails it with the
// exception and keeps the history; Pause/Step hold the script's loop; Stop detaches and the
// script goes on; BatchNorm's refusal reaches the run's description.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Run } from '../../../src/run/run';
import { DEFAULT_LIMITS } from '../../../src/run/reducer';
import { WatchListener } from '../../../src/torch/watchListener';
import { WatchRouter } from '../../../src/torch/watchRouter';
import { DEFAULT_PYTHON, pythonPackageDir } from '../../../src/torch/source';
import { root } from './run';

const SCRIPT = path.join(root, 'examples/pytorch/train.py');

interface Own {
  batchSize: number;
  steps: { step: number; loss: number; gradNorm: Record<string, number> }[];
  perExample: Record<string, number[][]>;
  weightsBefore: Record<string, number[]>;
  weightsAfter: Record<string, number[]>;
}

/** Polls until `get` holds (these tests wait for conditions, never for a time). */
async function until<T>(get: () => T | undefined | false, what: () => string, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Starts `script args` with the listener's environment; every connection becomes the run's source. */
async function watched(script: string, args: string[], env: Record<string, string> = {}, stdin = '', ask: string[] = []) {
  const run = new Run(DEFAULT_LIMITS, { post: () => {}, stateChanged: () => {}, problem: () => {} });
  // The extension's own routing (hello → a new source, per-example asked, lines, close).
  const router = new WatchRouter({
    perExample: () => ask,
    opened: (source) => void run.start(source, { paused: false, stepOnly: false }).catch(() => undefined),
  });
  const listener = new WatchListener(router);
  await listener.listen();
  const child = spawn(DEFAULT_PYTHON, [script, ...args], {
    env: { ...process.env, ...listener.env(pythonPackageDir()), PYTHONDONTWRITEBYTECODE: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '',
    stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.on('error', () => {});
  if (stdin) child.stdin.write(stdin);
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    run,
    exited,
    output: () => ({ stdout, stderr }),
    close: () => {
      run.dispose();
      listener.close();
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

const near = (a: number, b: number, rel: number, what: string): void =>
  assert.ok(Math.abs(a - b) <= rel * Math.max(Math.abs(b), 1e-12), `${what}: ${a} vs ${b}`);

test('a watched loop is a run: its losses, layer norms and per-example gradients are the script’s own', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gradlens-watch-test-'));
  const out = path.join(dir, 'own.json');
  const w = await watched(SCRIPT, ['--steps', '12', '--out', out]);
  try {
    assert.equal(await w.exited, 0, w.output().stderr);
    await until(
      () => w.run.state === 'finished',
      () => `a finished run (now ${w.run.state})`,
    );
    const own = JSON.parse(readFileSync(out, 'utf8')) as Own;
    const s = w.run.snapshot;
    assert.equal(s.run?.file, 'PyTorch script train.py');
    assert.equal(s.run?.spec.batchSize, 16);
    assert.deepEqual(
      s.run?.layers.map((l) => l.label),
      ['fc1 Linear 20→24', 'fc2 Linear 24→4'],
    );
    assert.deepEqual(
      s.history.map((p) => p.step),
      own.steps.map((x) => x.step),
    );
    for (const [i, p] of s.history.entries()) {
      near(p.loss, own.steps[i].loss, 1e-6, `loss of step ${p.step}`);
      near(p.layers[0].gradNorm, own.steps[i].gradNorm.fc1, 1e-6, `‖G‖ of fc1 at step ${p.step}`);
      near(p.layers[1].gradNorm, own.steps[i].gradNorm.fc2, 1e-6, `‖G‖ of fc2 at step ${p.step}`);
    }
    // The last step's detail: every gᵢ of the followed entry is the script's ∇Lᵢ of that entry
    // (computed one example at a time), the mean is their mean, θ moved as the script saw it.
    const d = s.detail?.perExample;
    assert.ok(d && s.detail?.step === 12, `the detail of step 12, got ${s.detail?.step}`);
    const name = `${['fc1', 'fc2'][d.selection.layer]}.weight`;
    const own_g = own.perExample[name].map((g) => g[d.selection.index]);
    assert.equal(d.perExample.length, 16);
    for (const [i, g] of d.perExample.entries()) near(g, own_g[i], 1e-4, `g${i} of ${d.paramName}`);
    near(d.mean, own_g.reduce((a, b) => a + b, 0) / 16, 1e-4, 'the mean');
    assert.equal(d.before, own.weightsBefore[name][d.selection.index]);
    assert.equal(d.after, own.weightsAfter[name][d.selection.index]);
    // SGD with momentum 0.9: the terms torch held reproduce the θ it applied.
    assert.ok(d.terms, 'no update terms for torch.optim.SGD');
    assert.equal(d.terms.momentum, 0.9);
    assert.equal(d.terms.learningRate, 0.05);
    near(d.terms.predictedAfter, d.after, 1e-5, 'θ from the terms');
    assert.match(d.note ?? '', /times M = 16 because the loss is a mean over the batch \(read from the loss tensor\)/);
    assert.equal(s.status.state, 'finished');
  } finally {
    w.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a script that crashes fails its run with the exception, and the steps before it stay', async () => {
  const w = await watched(SCRIPT, ['--steps', '10', '--crash-at', '4']);
  try {
    assert.notEqual(await w.exited, 0);
    await until(
      () => w.run.state === 'failed',
      () => `a failed run (now ${w.run.state})`,
    );
    const s = w.run.snapshot;
    assert.match(
      s.status.message ?? '',
      /^PyTorch script train\.py crashed after 3 steps: RuntimeError: a deliberate crash in step 4 \(train\.py:\d+\)$/,
    );
    assert.deepEqual(
      s.history.map((p) => p.step),
      [1, 2, 3],
    );
  } finally {
    w.close();
  }
});

test('Pause holds the script’s loop between two steps, Step runs one more, Stop detaches and the script goes on', async () => {
  const w = await watched(SCRIPT, ['--steps', '3000']);
  try {
    const last = (): number => w.run.snapshot.history.at(-1)?.step ?? 0;
    await until(
      () => last() >= 1,
      () => 'a first step',
    );
    assert.ok(w.run.control('pause'));
    await until(
      () => w.run.state === 'paused',
      () => `paused (now ${w.run.state})`,
    );
    const held = w.run.snapshot.status.step;
    assert.equal(last(), held, 'the loop holds after the last step it reported');
    assert.ok(w.run.control('step'));
    await until(
      () => last() === held + 1 && w.run.state === 'paused',
      () => `one more step (${held + 1}) and paused again (at ${last()}, ${w.run.state})`,
    );
    await w.run.stop(5000);
    assert.equal(w.run.state, 'stopped');
    assert.equal(await w.exited, 0, 'the script did not finish on its own after the detach');
    assert.match(w.output().stdout, /step 3000: loss/);
    assert.equal(last(), held + 1, 'no steps after the detach');
  } finally {
    w.close();
  }
});

test('with BatchNorm the run says per-example gradients are not defined, and keeps the layer norms', async () => {
  const w = await watched(path.join(root, 'test/python/plain_loop.py'), ['3'], { GRADLENS_TEST_BATCHNORM: '1' }, '\n\n\n', ['0']);
  try {
    assert.equal(await w.exited, 0, w.output().stderr);
    await until(
      () => w.run.state === 'finished',
      () => `a finished run (now ${w.run.state})`,
    );
    const s = w.run.snapshot;
    assert.equal(s.history.length, 3);
    assert.equal(s.detail, null);
    assert.match(s.run?.perExampleNote ?? '', /per-example gradients are not defined for this model: BatchNorm/);
    assert.ok(s.history.every((p) => p.layers.length === 3 && p.layers.every((l) => l.gradNorm > 0)));
  } finally {
    w.close();
  }
});

test('Adam: the terms torch held give the θ it applied; AdamW: θ before and after, and the note says it is not written out', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gradlens-watch-test-'));
  try {
    for (const kind of ['adam', 'adamw']) {
      const out = path.join(dir, `${kind}.json`);
      const w = await watched(SCRIPT, ['--steps', '5', '--optimizer', kind, '--out', out]);
      try {
        assert.equal(await w.exited, 0, w.output().stderr);
        await until(
          () => w.run.state === 'finished',
          () => `a finished run (now ${w.run.state})`,
        );
        const own = JSON.parse(readFileSync(out, 'utf8')) as Own;
        const d = w.run.snapshot.detail!.perExample!;
        const name = `${['fc1', 'fc2'][d.selection.layer]}.weight`;
        assert.equal(d.after, own.weightsAfter[name][d.selection.index]);
        if (kind === 'adam') {
          assert.equal(d.terms?.optimizer, 'adam');
          assert.equal(d.terms?.step, 5);
          near(d.terms!.predictedAfter - d.before, d.after - d.before, 1e-4, 'the update from the terms');
        } else {
          assert.equal(d.terms, null);
          assert.equal(d.optimizer, 'torch.optim.AdamW');
          assert.match(
            d.note ?? '',
            /torch\.optim\.AdamW: Gradient Lens writes the update out only for torch\.optim\.SGD .* the optimizer's learning rate is 0\.01000, but how it combined it with G is not shown/,
          );
        }
      } finally {
        w.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
