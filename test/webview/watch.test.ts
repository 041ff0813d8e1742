// A gradlens.watch() session in the real webview bundle (headless Chromium): what the host posts
// while a real script (examples/pytorch/train.py on Debian's torch) trains, recorded through the
// real WatchListener, WatchSource and Run. The page's per-example card, formula, toolbar and layer
// health are read back and checked against the numbers the script wrote itself; a BatchNorm model
// shows why it has no per-example gradients.

import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { HostMessage } from '../../src/protocol';
import { Run } from '../../src/run/run';
import { DEFAULT_LIMITS } from '../../src/run/reducer';
import { WatchListener } from '../../src/torch/watchListener';
import { WatchRouter } from '../../src/torch/watchRouter';
import { DEFAULT_PYTHON, pythonPackageDir } from '../../src/torch/source';
import { deliver, fmt, openReadyPanel, resultsDir, root } from './harness';

interface Recording {
  messages: HostMessage[];
  own: {
    steps: { step: number; loss: number; gradNorm: Record<string, number> }[];
    perExample: Record<string, number[][]>;
    weightsBefore: Record<string, number[]>;
    weightsAfter: Record<string, number[]>;
  } | null;
}

/** What the host posts while `script` runs watched, until its run ends. */
async function recordWatch(
  script: string,
  args: string[],
  env: Record<string, string> = {},
  stdin = '',
  ask: string[] = [],
): Promise<Recording> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gradlens-watch-webview-'));
  const out = path.join(dir, 'own.json');
  const messages: HostMessage[] = [];
  let finish: (state: string) => void = () => {};
  const done = new Promise<string>((r) => (finish = r));
  const run = new Run(DEFAULT_LIMITS, {
    post: (m) => messages.push(structuredClone(m)),
    stateChanged: (state) => {
      if (state === 'finished' || state === 'failed' || state === 'stopped') finish(state);
    },
    problem: () => {},
  });
  // The extension's own routing (hello → a new source, per-example asked, lines, close).
  const router = new WatchRouter({
    perExample: () => ask,
    opened: (source) => void run.start(source, { paused: false, stepOnly: false }).catch(() => undefined),
  });
  const listener = new WatchListener(router);
  await listener.listen();
  try {
    const withOut = script.endsWith('train.py') ? [...args, '--out', out] : args;
    const child = spawn(DEFAULT_PYTHON, [script, ...withOut], {
      env: { ...process.env, ...listener.env(pythonPackageDir()), PYTHONDONTWRITEBYTECODE: '1', ...env },
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    child.stdin.on('error', () => {});
    if (stdin) child.stdin.write(stdin);
    assert.equal(await new Promise((r) => child.on('close', r)), 0);
    assert.equal(await done, 'finished');
    const own = script.endsWith('train.py') ? JSON.parse(readFileSync(out, 'utf8')) : null;
    return { messages, own };
  } finally {
    run.dispose();
    listener.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

let browser: Browser;
let server: { url: string; close(): Promise<void> };
let page: Page;
let watched: Recording;
let batchNorm: Recording;

before(async () => {
  mkdirSync(resultsDir, { recursive: true });
  watched = await recordWatch(path.join(root, 'examples/pytorch/train.py'), ['--steps', '30']);
  batchNorm = await recordWatch(
    path.join(root, 'test/python/plain_loop.py'),
    ['4'],
    { GRADLENS_TEST_BATCHNORM: '1' },
    '\n'.repeat(4),
    ['0'],
  );
  ({ browser, server, page } = await openReadyPanel('dark'));
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const summary = (p: Page): Promise<any> => p.evaluate(() => (window as any).__gradientLens.summary());

test('a watched script in the panel: its name, its losses and ‖G‖ per layer, and each example’s gradient beside the mean, with the script’s numbers', async () => {
  await deliver(page, watched.messages);
  const own = watched.own!;
  const s = await summary(page);
  assert.equal(s.state, 'finished');
  assert.equal(s.lastStep, 30);
  assert.equal(s.lossPoints, 30);
  assert.equal(s.healthLayers, 2);
  const last = own.steps.at(-1)!;
  assert.ok(Math.abs(s.drawn.loss.value - last.loss) <= 1e-6 * last.loss, `${s.drawn.loss.value} vs ${last.loss}`);
  const status = await page.locator('.top .status').innerText();
  assert.match(status, /^PyTorch script train\.py · finished · step 30 · loss \S+ · M = 16 · PyTorch 1\.13\S*, pid \d+, SGD$/);
  // The card's bars are the script's own ∇Lᵢ of the followed entry (one example at a time).
  const d = await page.evaluate(() => (window as any).__gradientLens.snapshot.detail.perExample);
  const entry = `${['fc1', 'fc2'][d.selection.layer]}.weight`;
  const g = own.perExample[entry].map((row) => row[d.selection.index]);
  const top = Math.max(...g.map(Math.abs));
  assert.equal(s.perExampleBars, 16);
  s.drawn.perExample.values.forEach((v: number, i: number) =>
    assert.ok(Math.abs(v - g[i]) < 1e-4 * top, `bar ${i}: ${v} vs ${g[i]}`),
  );
  const mean = g.reduce((a, b) => a + b, 0) / 16;
  const formula = await page.locator('#per-example .formula').innerText();
  assert.ok(formula.includes(`= ${fmt(mean, 4)}`), `${fmt(mean, 4)} not in ${formula}`);
  const before = own.weightsBefore[entry][d.selection.index],
    afterStep = own.weightsAfter[entry][d.selection.index];
  assert.ok(formula.includes(`${fmt(afterStep, 5)} ← ${fmt(before, 5)} − 0.0500 · `), formula);
  const note = await page.locator('#per-example .note').innerText();
  assert.match(note, /SGD with momentum μ = 0\.900: the update applied was/);
  assert.match(
    note,
    /times M = 16 because the loss is a mean over the batch \(read from the loss tensor\), so gᵢ = M·cᵢ; they add up to \.grad/,
  );
  assert.match(note, /The loss is the value the script called \.backward\(\) on\./);
  assert.equal(
    await page.locator('#per-example .example-text').innerText(),
    "This run's examples stay in its own process: only their gradients are shown.",
  );
  await page.locator('#per-example').screenshot({ path: path.join(resultsDir, 'webview-watch.png') });
});

test('a watched model with BatchNorm: the per-example card says why there is nothing to draw, layer health is there', async () => {
  await deliver(page, batchNorm.messages);
  const s = await summary(page);
  assert.equal(s.state, 'finished');
  assert.equal(s.lastStep, 4);
  assert.equal(s.perExampleBars, 0);
  assert.equal(s.healthLayers, 3);
  const text = await page.locator('#per-example .formula').innerText();
  assert.match(
    text,
    /^per-example gradients are not defined for this model: BatchNorm makes each example's output depend on the whole batch/,
  );
  await page.locator('#per-example').screenshot({ path: path.join(resultsDir, 'webview-watch-batchnorm.png') });
});
