// The debug adapter over stdio, as any DAP client sees it.
import { test, before, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { digits, ensureBuilt, evaluate, launch, lineOf, startClient, topFrame } from './dapClient';

let dc: DebugClient | null = null;
before(() => ensureBuilt());
afterEach(async () => {
  await dc?.stop();
  dc = null;
});

const layer1 = lineOf(digits, '"units": 64');
const lossLine = lineOf(digits, '"loss"');
const optimizerLine = lineOf(digits, '"optimizer"');

test('initialize offers conditions, hit counts, logpoints and the four exception filters', async () => {
  dc = await startClient();
  const r = await dc.initializeRequest();
  const caps = r.body!;
  assert.equal(caps.supportsConditionalBreakpoints, true);
  assert.equal(caps.supportsHitConditionalBreakpoints, true);
  assert.equal(caps.supportsLogPoints, true);
  assert.equal(caps.supportsSetVariable, true);
  assert.deepEqual(
    caps.exceptionBreakpointFilters!.map((f) => f.label),
    ['NaN or Inf', 'Exploding gradient', 'Vanishing gradient', 'Dead ReLUs'],
  );
});

test('breakpoint on the second dense layer with `step >= 3`: stops there, gradNorm, per-example gradients paged, continue to the next stop', async () => {
  dc = await startClient();
  const stopped = dc.waitForEvent('stopped');
  const bps = await launch(dc, { model: digits }, [{ line: layer1, condition: 'step >= 3' }]);
  assert.equal(bps.body.breakpoints[0].verified, true);
  const ev = (await stopped) as DebugProtocol.StoppedEvent;
  assert.equal(ev.body.reason, 'breakpoint');
  const frames = await topFrame(dc);
  assert.match(frames[0].name, /^layer 1 · dense 128→64 relu · after backward$/);
  assert.equal(frames[0].line, layer1);
  assert.equal(frames[1].name, 'step 3 (batch of 32)');
  assert.equal(frames[2].name, 'epoch 1 of 8');

  const g = await evaluate(dc, 'gradNorm');
  const gradNorm = Number(g.result);
  assert.ok(gradNorm > 0 && Number.isFinite(gradNorm), g.result);
  // gradNorm is ‖G‖ of weights and bias together.
  const both = Number((await evaluate(dc, 'sqrt(sum(G * G) + sum(Gb * Gb))')).result);
  assert.ok(Math.abs(both - gradNorm) <= 1e-5 * gradNorm, `${both} vs ${gradNorm}`);
  assert.equal((await evaluate(dc, 'layers[1].grad.norm()')).result, (await evaluate(dc, 'norm(G)')).result);
  assert.equal((await evaluate(dc, 'step')).result, '3');
  assert.match((await evaluate(dc, 'W')).result, /^float32\[128×64\] {2}min .* max .* mean .* norm /);
  assert.equal((await evaluate(dc, 'shape(g)')).result, 'int32[3] [32, 128, 64]');
  const cosine = Number((await evaluate(dc, 'cos(g[3], G)')).result);
  assert.ok(cosine >= -1 && cosine <= 1, String(cosine));
  const block = await evaluate(dc, 'W[0:4, 0:4]');
  assert.match(block.result, /^float32\[4×4\]/);

  // Variables: the stopped layer's scope, its per-example gradients paged lazily.
  const scopes = (await dc.scopesRequest({ frameId: 1 })).body.scopes;
  assert.deepEqual(
    scopes.map((s) => s.name),
    ['layers[1] · dense 128→64 relu', 'Step', 'Batch', 'Layers'],
  );
  const layerVars = (await dc.variablesRequest({ variablesReference: scopes[0].variablesReference })).body.variables;
  const names = layerVars.map((v) => v.name);
  for (const n of ['weight', 'bias', 'grad', 'perExample', 'activation', 'update', 'momentum', 'gradNorm'])
    assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
  const perExample = layerVars.find((v) => v.name === 'perExample')!;
  assert.equal(perExample.type, 'float32[32×128×64]');
  assert.equal(perExample.indexedVariables, 32);
  const page = (
    await dc.variablesRequest({ variablesReference: perExample.variablesReference, filter: 'indexed', start: 10, count: 5 })
  ).body.variables;
  assert.deepEqual(
    page.map((v) => v.name),
    ['[10]', '[11]', '[12]', '[13]', '[14]'],
  );
  assert.equal(page[0].type, 'float32[128×64]');
  assert.equal(page[0].indexedVariables, 128);
  const rows = (
    await dc.variablesRequest({ variablesReference: page[0].variablesReference, filter: 'indexed', start: 100, count: 28 })
  ).body.variables;
  assert.equal(rows.length, 28);
  assert.equal(rows[27].name, '[127]');
  const numbers = (
    await dc.variablesRequest({ variablesReference: rows[0].variablesReference, filter: 'indexed', start: 0, count: 100 })
  ).body.variables;
  assert.equal(numbers.length, 64);
  assert.equal(numbers[0].variablesReference, 0);
  assert.ok(Number.isFinite(Number(numbers[0].value)));
  const step = (await dc.variablesRequest({ variablesReference: scopes[1].variablesReference })).body.variables;
  assert.equal(step.find((v) => v.name === 'gradNorm')!.value, g.result);

  const next = dc.waitForEvent('stopped');
  await dc.continueRequest({ threadId: 1 });
  await next;
  assert.equal((await topFrame(dc))[1].name, 'step 4 (batch of 32)');
});

test('hit count and logpoint: the log interpolates {gradNorm} each step; the second loss hit stops', async () => {
  dc = await startClient();
  const logs: string[] = [];
  dc.on('output', (e: DebugProtocol.OutputEvent) => {
    if (e.body.output.startsWith('log ')) logs.push(e.body.output);
  });
  const stopped = dc.waitForEvent('stopped');
  const halted = dc.waitForEvent('gradientLens/halted');
  await launch(dc, { model: digits }, [
    { line: optimizerLine, logMessage: 'log step {step}: ‖G‖ = {gradNorm}' },
    { line: lossLine, hitCondition: '== 3' },
  ]);
  await stopped;
  const frames = await topFrame(dc);
  assert.equal(frames[0].name, 'loss · cross-entropy · after forward');
  // Views that follow the run get the contract's stop point.
  const body = (await halted).body;
  assert.deepEqual(
    [body.type, body.at, body.reason, body.progress],
    ['halted', { kind: 'forward-done', step: 3, epoch: 1 }, 'breakpoint', { step: 3, epoch: 1 }],
  );
  assert.equal(frames[1].name, 'step 3 (batch of 32)');
  assert.equal(logs.length, 2, logs.join(''));
  assert.match(logs[0], /^log step 1: ‖G‖ = \d+\.\d+/);
  assert.match(logs[1], /^log step 2: /);
  assert.ok(Number((await evaluate(dc, 'loss')).result) > 0);
  assert.equal((await evaluate(dc, 'gradNorm')).result, 'NaN', 'no gradient yet after the forward pass');
});

test('a bad condition, hit count or line is reported at the breakpoint', async () => {
  dc = await startClient();
  await dc.initializeRequest();
  const r = await dc.setBreakpointsRequest({
    source: { path: digits },
    breakpoints: [
      { line: layer1, condition: 'step >= ' },
      { line: layer1, condition: 'stp > 2' },
      { line: 2 },
      { line: lossLine, hitCondition: 'often' },
      { line: optimizerLine, logMessage: '{gradNorm' },
    ],
  });
  const [a, b, c, d, e] = r.body.breakpoints;
  assert.equal(a.verified, false);
  assert.match(a.message!, /^Condition: the expression ends too early: expected a value \(column 9\)$/);
  assert.match(b.message!, /unknown name "stp".*did you mean "step"/);
  assert.equal(c.verified, false);
  assert.match(c.message!, /a layer's line/);
  assert.match(d.message!, /^Hit count: "often" is not a hit count/);
  assert.match(e.message!, /^Log message: "\{" is not closed/);
  const other = await dc.setBreakpointsRequest({
    source: { path: path.join(path.dirname(digits), '../../package.json') },
    breakpoints: [{ line: 3 }],
  });
  assert.match(other.body.breakpoints[0].message!, /model files/);
});

test('exception breakpoint "NaN or Inf" stops on an injected NaN with the place it appeared', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-dap-'));
  const model = path.join(dir, 'huge-lr.gradlens.json');
  const text = readFileSync(digits, 'utf8')
    .replace('"learningRate": 0.05', '"learningRate": 1e30')
    .replace('"limit": 1000', '"limit": 200');
  writeFileSync(model, text);
  dc = await startClient();
  const stopped = dc.waitForEvent('stopped');
  await launch(dc, { model, workspace: dir }, [], ['nonFinite']);
  const ev = (await stopped) as DebugProtocol.StoppedEvent;
  assert.equal(ev.body.reason, 'exception');
  assert.match(ev.body.description!, /^NaN or Inf at step \d+: /);
  const info = await dc.exceptionInfoRequest({ threadId: 1 });
  assert.equal(info.body.exceptionId, 'nonFinite');
  assert.equal((await evaluate(dc, 'nonFinite')).result, 'true');
  // Everything stays inspectable at the stop.
  const scopes = (await dc.scopesRequest({ frameId: 1 })).body.scopes;
  assert.ok(scopes.length >= 3);
});

test("stepping: entry, Step Over = next batch, Step In = the batch's examples, Step Out = the update, Pause, learning rate edit", async () => {
  dc = await startClient();
  let stopped = dc.waitForEvent('stopped');
  await launch(dc, { model: digits, stopOnEntry: true });
  assert.equal(((await stopped) as DebugProtocol.StoppedEvent).body.reason, 'entry');
  assert.equal((await topFrame(dc))[0].name, 'step 1 (batch of 32) · start');

  stopped = dc.waitForEvent('stopped');
  await dc.nextRequest({ threadId: 1 });
  assert.equal(((await stopped) as DebugProtocol.StoppedEvent).body.reason, 'step');
  assert.equal((await topFrame(dc))[0].name, 'step 2 (batch of 32) · start');

  stopped = dc.waitForEvent('stopped');
  await dc.stepInRequest({ threadId: 1 });
  await stopped;
  let frames = await topFrame(dc);
  assert.match(frames[0].name, /^example 1 of 32 · #\d+ label \d → \d · own forward \+ backward$/);
  assert.equal(frames[32].name, 'step 2 (batch of 32)');
  const firstLoss = Number((await evaluate(dc, 'loss')).result);
  assert.equal((await evaluate(dc, 'example')).result, '0');
  stopped = dc.waitForEvent('stopped');
  await dc.stepInRequest({ threadId: 1 });
  await stopped;
  frames = await topFrame(dc);
  assert.match(frames[0].name, /^example 2 of 32/);
  assert.equal((await evaluate(dc, 'example')).result, '1');
  assert.ok(firstLoss > 0);

  stopped = dc.waitForEvent('stopped');
  await dc.stepOutRequest({ threadId: 1 });
  await stopped;
  frames = await topFrame(dc);
  assert.equal(frames[0].name, 'optimizer · sgd · update applied');
  assert.equal(frames[1].name, 'step 2 (batch of 32)');
  assert.ok(Number((await evaluate(dc, 'updateRatio')).result) > 0);

  const set = await dc.setVariableRequest({
    variablesReference: (await dc.scopesRequest({ frameId: 1 })).body.scopes.find((s) => s.name === 'Step')!.variablesReference,
    name: 'lr',
    value: '0.01',
  });
  assert.equal(set.body.value, '0.01');
  assert.equal((await evaluate(dc, 'lr')).result, '0.01');

  await dc.continueRequest({ threadId: 1 });
  stopped = dc.waitForEvent('stopped');
  await dc.pauseRequest({ threadId: 1 });
  assert.equal(((await stopped) as DebugProtocol.StoppedEvent).body.reason, 'pause');
  assert.ok((await topFrame(dc)).length >= 2);
});

test('evaluate errors are positioned; restart trains from the start again', async () => {
  dc = await startClient();
  let stopped = dc.waitForEvent('stopped');
  await launch(dc, { model: digits }, [{ line: lossLine, condition: 'step == 2' }]);
  await stopped;
  await assert.rejects(dc.evaluateRequest({ expression: 'W[0:4', frameId: 1, context: 'repl' }), /column 6/);
  await assert.rejects(
    dc.evaluateRequest({ expression: 'norm(weights)', frameId: 1, context: 'repl' }),
    /unknown name "weights"/,
  );
  stopped = dc.waitForEvent('stopped');
  await dc.customRequest('restart', {});
  await stopped;
  assert.equal((await evaluate(dc, 'step')).result, '2');
  assert.equal((await topFrame(dc))[1].name, 'step 2 (batch of 32)');
});

test('a model file with errors fails the launch with the positioned problem, and the session ends', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-dap-'));
  const model = path.join(dir, 'broken.gradlens.json');
  const text = readFileSync(digits, 'utf8').replace('"units": 64', '"units": -64');
  // The line of the broken value in the example as it is (its comments and lines may change).
  const line = text.split('\n').findIndex((l) => l.includes('"units": -64')) + 1;
  writeFileSync(model, text);
  dc = await startClient();
  const terminated = dc.waitForEvent('terminated');
  await dc.initializeRequest();
  await dc.configurationDoneRequest();
  await assert.rejects(
    dc.launchRequest({ model, workspace: dir } as DebugProtocol.LaunchRequestArguments),
    new RegExp(`broken\\.gradlens\\.json:${line}:\\d+: error: layers\\[1\\]\\.units`),
  );
  await terminated;
});

test('Step In: one frame per example of the batch, each with its own forward and backward values', async () => {
  dc = await startClient();
  let stopped = dc.waitForEvent('stopped');
  await launch(dc, { model: digits }, [{ line: layer1, condition: 'step == 2' }]);
  await stopped;
  stopped = dc.waitForEvent('stopped');
  await dc.stepInRequest({ threadId: 1 });
  await stopped;
  const frames = await topFrame(dc);
  // 32 example frames, then the batch and the epoch.
  assert.equal(frames.length, 34);
  const numbers = frames.slice(0, 32).map((f) => Number(/^example (\d+) of 32 · #\d+ label \d → \d/.exec(f.name)?.[1]));
  assert.deepEqual(
    numbers,
    Array.from({ length: 32 }, (_, i) => i + 1),
  );
  assert.equal(new Set(frames.map((f) => f.id)).size, 34);
  assert.equal(frames[32].name, 'step 2 (batch of 32)');
  assert.equal(frames[33].name, 'epoch 1 of 8');
  for (const f of frames.slice(0, 32)) assert.equal(f.line, layer1);

  const at = async (frameId: number, expression: string): Promise<string> =>
    (await dc!.evaluateRequest({ expression, frameId, context: 'watch' })).body.result;
  const batch = frames[32].id;
  for (const k of [5, 17]) {
    const frame = frames[k].id;
    assert.equal(await at(frame, 'example'), String(k));
    // Its own backward pass gives gᵢ, the row of the batch's per-example gradients for that example.
    assert.match(await at(frame, 'g'), /^float32\[128×64\]/);
    const own = Number(await at(frame, 'norm(g)'));
    const row = Number(await at(batch, `norm(g[${k}])`));
    assert.ok(own > 0 && Math.abs(own - row) <= 1e-4 * row, `example ${k}: own ‖gᵢ‖ ${own} vs batch row ${row}`);
    // Its own forward pass gives its loss, the batch's per-example loss.
    const loss = Number(await at(frame, 'loss'));
    const batchLoss = Number(await at(batch, `losses[${k}]`));
    assert.ok(Math.abs(loss - batchLoss) <= 1e-4 * batchLoss, `example ${k}: own loss ${loss} vs ${batchLoss}`);
    // The Variables of its frame: the example's own values.
    const scopes: DebugProtocol.Scope[] = (await dc.scopesRequest({ frameId: frame })).body.scopes;
    assert.equal(scopes[0].name, `Example ${k + 1} · its own pass`);
    const vars: DebugProtocol.Variable[] = (await dc.variablesRequest({ variablesReference: scopes[0].variablesReference })).body
      .variables;
    assert.deepEqual(
      vars.map((v) => v.name),
      ['example', 'index', 'label', 'prediction', 'loss', 'gradNorm', 'layers[1]', 'layers'],
    );
    assert.equal(vars.find((v) => v.name === 'loss')!.value, await at(frame, 'loss'));
  }
  assert.notEqual(await at(frames[5].id, 'loss'), await at(frames[17].id, 'loss'), 'each frame has its own example');

  // Step In again: example 2 is on top, the batch still has one frame per example.
  stopped = dc.waitForEvent('stopped');
  await dc.stepInRequest({ threadId: 1 });
  await stopped;
  const next = await topFrame(dc);
  assert.match(next[0].name, /^example 2 of 32/);
  assert.match(next[1].name, /^example 1 of 32/);
  assert.equal(next.length, 34);
});

test('exception breakpoints "Exploding gradient", "Vanishing gradient" and "Dead ReLUs" stop with the launch\'s thresholds', async () => {
  const cases: [string, Record<string, number>, RegExp, string][] = [
    ['exploding', { explodingGradNorm: 1e-9 }, /^Exploding gradient at step 1: ‖G‖ of layers\[2\] is \S+ > 1\.00e-9$/, 'layer 2'],
    ['vanishing', { vanishingGradNorm: 1e9 }, /^Vanishing gradient at step 1: ‖G‖ of layers\[1\] is \S+ < 1\.00e\+9$/, 'layer 1'],
    ['deadRelu', { deadReluFraction: 0 }, /^Dead ReLUs at step \d+: \d+% of the units of layers\[\d\] are zero/, 'optimizer'],
  ];
  for (const [filter, thresholds, text, frame] of cases) {
    dc = await startClient();
    const stopped = dc.waitForEvent('stopped');
    await launch(dc, { model: digits, ...thresholds } as Parameters<typeof launch>[1], [], [filter]);
    const ev = (await stopped) as DebugProtocol.StoppedEvent;
    assert.equal(ev.body.reason, 'exception', filter);
    assert.match(ev.body.description!, text);
    assert.equal((await dc.exceptionInfoRequest({ threadId: 1 })).body.exceptionId, filter);
    assert.ok((await topFrame(dc))[0].name.startsWith(frame), `${filter}: ${(await topFrame(dc))[0].name}`);
    await dc.stop();
    dc = null;
  }
});
