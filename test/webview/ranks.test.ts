// The ranks card of the real webview bundle in headless Chromium, fed what the host posts during a
// real PyTorch run: the real Run (src/run/run.ts, the shared reducer) fed by the real TorchSource,
// i.e. DDP ranks of Debian's torch over gloo, from the engine's initial weights on the real digits.
// Reads the rendered text and bars and checks them against the run's own step records.

import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { HostMessage, RanksStep } from '../../src/protocol';
import { loadDataset } from '../../src/data/load';
import { Trainer } from '../../src/engine';
import { parseModel } from '../../src/model';
import { Run } from '../../src/run/run';
import { DEFAULT_LIMITS } from '../../src/run/reducer';
import type { StepRecord } from '../../src/run/source';
import { TorchSource } from '../../src/torch/source';
import { recordRun } from './record';
import { deliver, openReadyPanel, preparePage, resultsDir, root } from './harness';

const DIGITS = 'examples/digits/digits.gradlens.json';

interface TorchRecording {
  messages: HostMessage[];
  records: StepRecord[];
}

/** What the host posts for a PyTorch run of `file` on `nproc` ranks (batch size overridable), `steps` steps. */
async function recordTorchRun(file: string, nproc: number, steps: number, batchSize?: number): Promise<TorchRecording> {
  const parsed = parseModel(readFileSync(path.join(root, file), 'utf8'));
  if (!parsed.spec) throw new Error(`${file}: ${parsed.problems.map((p) => p.message).join('; ')}`);
  const spec = { ...parsed.spec, batchSize: batchSize ?? parsed.spec.batchSize };
  const { train, validation } = await loadDataset(spec.data, {
    dataPath: null,
    labelsPath: null,
    mediaDir: path.join(root, 'media'),
    seed: spec.seed,
  });
  const trainer = new Trainer({ spec, train, validation });
  const messages: HostMessage[] = [];
  const records: StepRecord[] = [];
  let finish: (state: string) => void = () => {};
  const done = new Promise<string>((r) => (finish = r));
  const run = new Run(DEFAULT_LIMITS, {
    post: (m) => messages.push(structuredClone(m)),
    stateChanged: (state) => {
      if (state === 'finished' || state === 'failed' || state === 'stopped') finish(state);
    },
    problem: () => {},
  });
  const source = new TorchSource({
    file,
    spec,
    train,
    validation,
    weights: trainer.getWeights(),
    layers: trainer.layers,
    nproc,
    maxSteps: steps,
  });
  const tee = {
    capabilities: source.capabilities,
    start: (listener: Parameters<TorchSource['start']>[0]) =>
      source.start((e) => {
        if (e.type === 'step') records.push(structuredClone(e.record));
        listener(e);
      }),
    control: (c: Parameters<TorchSource['control']>[0]) => source.control(c),
    dispose: () => source.dispose(),
  };
  await run.start(tee, { paused: false, stepOnly: false });
  const state = await done;
  run.dispose();
  assert.equal(state, 'finished', `the PyTorch run ended ${state}: ${source.error?.message ?? ''}`);
  return { messages, records };
}

/** The panel's own number format (webview/format.ts num). */
const fmt = (x: number, digits = 3): string => {
  const a = Math.abs(x);
  return (a >= 1e4 || a < 1e-3 ? x.toExponential(digits - 1) : x.toPrecision(digits)).replace(/-/g, '−');
};
const parseNum = (s: string): number => Number(s.replace(/−/g, '-'));

let browser: Browser;
let server: { url: string; close(): Promise<void> };
let page: Page;
let even: TorchRecording;
let uneven: TorchRecording;

before(async () => {
  mkdirSync(resultsDir, { recursive: true });
  // One after the other: each run starts its own ranks on the shared cores.
  even = await recordTorchRun(DIGITS, 2, 3);
  uneven = await recordTorchRun(DIGITS, 2, 2, 31);
  ({ browser, server, page } = await openReadyPanel('dark'));
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const ranksPosted = (r: TorchRecording): RanksStep[] => r.messages.flatMap((m) => (m.type === 'ranks' ? [m.ranks] : []));
const summary = (p: Page): Promise<any> => p.evaluate(() => (window as any).__gradientLens.summary());

test('the host posts one ranks update per PyTorch step, each with 2 ranks adding up to the step’s batch', () => {
  const posted = ranksPosted(even);
  assert.deepEqual(
    posted.map((r) => r.step),
    even.records.map((r) => r.step),
  );
  assert.equal(posted.length, 3);
  for (const r of posted) {
    assert.equal(r.ranks.length, 2);
    assert.equal(r.ranks[0].batchSize + r.ranks[1].batchSize, r.batchSize);
    assert.equal(r.meanOfMeans, null, 'equal rank batches carry no mean of means');
  }
});

test('a 2-rank run: the card shows the all-reduce and the update with the run’s numbers, and per-rank bars', async () => {
  await deliver(page, even.messages);
  const last = even.records.at(-1)!;
  const s = await summary(page);
  assert.deepEqual(s.ranks, { step: last.step, batchSize: 32, rankBatchSizes: [16, 16] });
  assert.ok(await page.locator('#ranks').isVisible(), 'the ranks card is hidden during a PyTorch run');
  const formula = await page.locator('#ranks .formula').innerText();
  assert.match(formula, new RegExp(`Step ${last.step}: M = 32 = 16 \\+ 16 examples over R = 2 ranks`));
  assert.ok(formula.includes('G = Σ_r (M_r/M)·G_r = 16/32·G₀ + 16/32·G₁ = (1/32)·Σᵢ gᵢ'), formula);
  // The digits example's optimizer: SGD, momentum 0.9, learning rate 0.05.
  assert.ok(formula.includes('SGD with momentum μ = 0.900'), formula);
  assert.ok(formula.includes('v ← 0.900·v + G;  θ ← θ − 0.0500·v'), formula);
  // ‖G‖ = Σ_r (M_r/M)·‖G_r‖·cos(G_r, G): the sum written from the ranks' numbers equals the
  // all-reduced norm torch reported, per layer (4 significant digits each).
  const checks = [...formula.matchAll(/^(layers\[\d+\][^:]*): (.+) = (\S+)\s+\(‖G‖ = (\S+)\)$/gm)];
  assert.equal(checks.length, last.layers.length, formula);
  for (const [i, c] of checks.entries()) {
    assert.equal(c[4], fmt(last.layers[i].gradNorm, 4), `${c[1]}: ‖G‖ shown vs the step record`);
    const terms = c[2].split(' + ').map((t) => t.split('·').map(parseFraction));
    const sum = terms.reduce((a, [w, n, cos]) => a + w * n * cos, 0);
    assert.ok(
      Math.abs(sum - last.layers[i].gradNorm) / last.layers[i].gradNorm < 2e-3,
      `${c[1]}: ${sum} vs ${last.layers[i].gradNorm}`,
    );
  }
  // Bars: per layer the all-reduced G and one per rank, widths in proportion to the norms.
  const bars = await page.evaluate(() =>
    [...document.querySelectorAll('#ranks .rank-layer')].map((layer) =>
      [...layer.querySelectorAll<HTMLElement>('.rank-row')].map((row) => ({
        name: row.querySelector('.rank-name')!.textContent,
        width: row.querySelector<HTMLElement>('.rank-bar-fill')!.getBoundingClientRect().width,
        track: row.querySelector<HTMLElement>('.rank-bar')!.getBoundingClientRect().width,
      })),
    ),
  );
  assert.equal(bars.length, last.layers.length);
  for (const [i, rows] of bars.entries()) {
    assert.deepEqual(
      rows.map((r) => r.name),
      ['all-reduced G', 'rank 0 · M₀ = 16', 'rank 1 · M₁ = 16'],
    );
    const norms = [last.layers[i].gradNorm, ...last.ranks!.map((k) => k.layers[i].gradNorm)];
    const top = Math.max(...norms);
    for (const [j, r] of rows.entries())
      assert.ok(Math.abs(r.width / r.track - norms[j] / top) < 0.02, `layer ${i} row ${j}: ${r.width}/${r.track}`);
  }
  const note = await page.locator('#ranks .pitfall').innerText();
  assert.match(note, /With equal rank batches \(16 \+ 16\), M_r\/M = 1\/R = 1\/2/);
  assert.match(note, /In this run they never do: its 800 examples are 25 batches of 32\./);
  await page.locator('#ranks').screenshot({ path: path.join(resultsDir, 'webview-ranks.png') });
});

test('uneven rank batches (31 = 16 + 15): the mean-of-means pitfall with this step’s numbers', async () => {
  await deliver(page, uneven.messages);
  const last = uneven.records.at(-1)!;
  const mom = ranksPosted(uneven).at(-1)!.meanOfMeans;
  assert.ok(mom && mom.length === last.layers.length, 'uneven rank batches carry the mean of means');
  const s = await summary(page);
  assert.deepEqual(s.ranks.rankBatchSizes, [16, 15]);
  const note = await page.locator('#ranks .pitfall').innerText();
  assert.match(note, /this step's 31 examples split 16 \+ 15/);
  assert.ok(
    note.includes(`1/(2·16) = ${fmt(1 / 32, 4)} on a rank with 16, 1/(2·15) = ${fmt(1 / 30, 4)} on a rank with 15`),
    note,
  );
  assert.ok(note.includes(`instead of 1/31 = ${fmt(1 / 31, 4)}`), note);
  for (const x of mom) {
    const pct = `${(x.relativeDifference! * 100).toFixed(1)}%`;
    assert.ok(note.includes(`‖(1/R)·Σ_r G_r‖ = ${fmt(x.gradNorm, 4)}`), note);
    assert.ok(note.includes(`off by ${pct}`), `${pct} not in ${note}`);
    assert.ok(x.relativeDifference! > 0, 'a mean of means of unequal batches is not the global mean');
  }
  // The weighting shown is the one applied: with M_r/M the ranks' numbers add up to ‖G‖.
  const formula = await page.locator('#ranks .formula').innerText();
  assert.ok(formula.includes('G = Σ_r (M_r/M)·G_r = 16/31·G₀ + 15/31·G₁ = (1/31)·Σᵢ gᵢ'), formula);
  await page.locator('#ranks').screenshot({ path: path.join(resultsDir, 'webview-ranks-uneven.png') });
});

test('at 480 px in the light theme the card fits, and a run of the built-in engine hides it', async () => {
  const p = await browser.newPage({ viewport: { width: 480, height: 900 } });
  await preparePage(p, 'light');
  await p.goto(server.url);
  await p.waitForFunction(() => (window as any).__posted?.some((m: any) => m.type === 'ready'));
  await deliver(p, uneven.messages);
  const overflow = await p.evaluate(() => {
    const bad: string[] = [];
    if (document.documentElement.scrollWidth > window.innerWidth) bad.push(`page ${document.documentElement.scrollWidth}`);
    for (const e of document.querySelectorAll<HTMLElement>('#ranks, #ranks *'))
      if (e.offsetParent && e.scrollWidth > e.clientWidth + 1) bad.push(`${e.className} ${e.scrollWidth} > ${e.clientWidth}`);
    return bad;
  });
  assert.deepEqual(overflow, []);
  assert.ok(await p.locator('#ranks').isVisible());
  const engine = await recordRun(DIGITS, { epochs: 1, limit: 100 });
  await deliver(p, engine.messages);
  assert.equal(await p.locator('#ranks').isVisible(), false, 'the ranks card stays up for a run of the built-in engine');
  assert.equal((await summary(p)).ranks, undefined);
  assert.deepEqual(await p.evaluate(() => (window as any).__violations), []);
  await p.close();
});

/** "16/32" → 0.5, "2.341" → 2.341 (the panel's minus sign too). */
function parseFraction(t: string): number {
  const [a, b] = t.split('/');
  return b === undefined ? parseNum(a) : parseNum(a) / parseNum(b);
}
