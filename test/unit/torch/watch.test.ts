// gradlens.watch() in a plain PyTorch loop (test/python/plain_loop.py) reaches a TypeScript
// listener: per-layer statistics every step, per-example gradients of the layers asked for (which
// add up to .grad), and a plain refusal of per-example gradients when the model has BatchNorm.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { WatchListener, type WatchMessage, type WatchStep } from '../../../src/torch/watchListener';
import { DEFAULT_PYTHON, pythonPackageDir } from '../../../src/torch/source';
import { root } from './run';

async function watchScript(
  batchNorm: boolean,
  steps: number,
  ask: string[],
): Promise<{ messages: WatchMessage[]; code: number | null }> {
  const messages: WatchMessage[] = [];
  let proceed: () => void = () => {};
  // The script waits after each step. It goes on once the script has acknowledged the request:
  // then the request is applied at the end of step 2 at the latest, so steps 3+ carry it.
  let acknowledged = false,
    waiting = 0;
  const listener = new WatchListener({
    message(conn, msg) {
      messages.push(msg);
      if (msg.type === 'hello') conn.requestPerExample(ask);
      if (msg.type === 'step') waiting++;
      if (msg.type === 'notice' && msg.kind === 'perExample-requested') acknowledged = true;
      if (acknowledged) for (; waiting > 0; waiting--) proceed();
    },
  });
  await listener.listen();
  try {
    const child = spawn(DEFAULT_PYTHON, [path.join(root, 'test/python/plain_loop.py'), String(steps)], {
      env: {
        ...process.env,
        ...listener.env(pythonPackageDir()),
        GRADLENS_TEST_BATCHNORM: batchNorm ? '1' : '0',
        PYTHONDONTWRITEBYTECODE: '1',
      },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdin.on('error', () => {}); // the script may have ended already
    proceed = () => {
      child.stdin.write('\n');
    };
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    return { messages, code };
  } finally {
    listener.close();
  }
}

test('watch() on a plain loop: layer statistics every step, per-example gradients once asked, summing to .grad', async () => {
  const { messages } = await watchScript(false, 4, ['0', '3']);
  const hello = messages.find((m) => m.type === 'hello');
  assert.ok(hello && hello.type === 'hello');
  assert.deepEqual(
    hello.layers.map((l) => [l.name, l.type]),
    [
      ['0', 'Conv2d'],
      ['3', 'Linear'],
    ],
  );
  assert.deepEqual(
    hello.layers[0].params.map((p) => p.shape),
    [[4, 1, 3, 3], [4]],
  );
  const steps = messages.filter((m): m is WatchStep => m.type === 'step');
  assert.deepEqual(
    steps.map((s) => s.step),
    [1, 2, 3, 4],
  );
  for (const s of steps) {
    assert.ok(s.loss !== null && s.loss > 0);
    for (const l of s.layers) assert.ok(l.gradNorm! > 0 && l.weightNorm > 0 && l.updateRatio! > 0, JSON.stringify(l));
  }
  assert.equal(steps[0].layers[0].perExampleNorms, undefined, 'asked for after step 1 began');
  for (const s of steps.slice(2)) {
    for (const l of s.layers) {
      assert.equal(l.perExampleNorms!.length, 16);
      assert.ok(l.sumCheck! < 1e-5, `layer ${l.name}: per-example gradients sum to .grad within ${l.sumCheck}`);
    }
  }
});

test('watch() with BatchNorm says per-example gradients are not defined, and still sends layer norms', async () => {
  const { messages } = await watchScript(true, 3, ['0']);
  const notice = messages.find((m) => m.type === 'notice' && m.kind === 'batchnorm');
  assert.ok(notice && notice.type === 'notice');
  assert.equal(notice.kind, 'batchnorm');
  assert.match(notice.message, /per-example gradients are not defined .*BatchNorm/);
  const steps = messages.filter((m): m is WatchStep => m.type === 'step');
  assert.equal(steps.length, 3);
  assert.ok(steps.every((s) => s.layers.every((l) => l.perExampleNorms === undefined)));
  assert.deepEqual(
    steps[0].layers.map((l) => l.name),
    ['0', '2', '4'],
  );
});
