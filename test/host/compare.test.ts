// In a real extension host: Compare Batch Sizes trains the digits example with two batch
// sizes in its own worker and the panel draws both runs; Step Through Batch replays the run's latest
// batch example by example, and the mean of the per-example gradients is the batch gradient.

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { execFileSync } from 'node:child_process';
import { historyFromCsv, parseHistoryJson, parseWeightsJson } from '../../src/export';
import { Commands } from '../../src/session/observable';
import type { CompareResult, RunInfo, WalkthroughResult } from '../../src/protocol';
import { EXTENSION_ID, api, digitsUri, lastStep, note, resetSession, waitFor, waitForState, workspaceRoot } from './helpers';

const BATCH_COMMANDS = [
  'compareBatchSizes',
  'stepThroughBatch',
  'exportHistory',
  'exportSnapshot',
  'saveWeights',
  'loadWeights',
] as const;

suite('Gradient Lens: compare batch sizes and step through a batch', () => {
  test('registers and contributes every batch and export command in the "Gradient Lens" category', async () => {
    await api();
    const all = await vscode.commands.getCommands(true);
    const contributed = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.commands as {
      command: string;
      category: string;
      icon: string;
    }[];
    for (const name of BATCH_COMMANDS) {
      assert.ok(all.includes(Commands[name]), `${Commands[name]} is not registered`);
      const entry = contributed.find((c) => c.command === Commands[name]);
      assert.ok(entry, `${Commands[name]} is not in package.json contributes.commands`);
      assert.equal(entry.category, 'Gradient Lens');
      assert.match(entry.icon, /^\$\([a-z-]+\)$/);
    }
  });

  test('Compare Batch Sizes uses the setting, trains every size for the same examples, and the panel draws each run', async () => {
    const gl = await api();
    await resetSession();
    const config = vscode.workspace.getConfiguration('gradientLens');
    await config.update('compare.batchSizes', [8, 64], vscode.ConfigurationTarget.Workspace);
    try {
      const t0 = Date.now();
      const result = await vscode.commands.executeCommand<CompareResult | undefined>(Commands.compareBatchSizes, digitsUri());
      const seconds = (Date.now() - t0) / 1000;
      assert.ok(result, `Compare returned nothing; messages: ${JSON.stringify(gl.notices())}`);
      note(`compare [8, 64] on digits (3 epochs of 800 examples each): ${seconds.toFixed(1)} s`);
      assert.deepEqual(
        result.runs.map((r) => r.batchSize),
        [8, 64],
      );
      // The same number of examples seen (3 epochs of the 800 training digits), so M = 8 makes 8× the updates of M = 64 (rounded up per epoch).
      for (const run of result.runs) {
        assert.equal(
          run.points[run.points.length - 1].examplesSeen,
          2400,
          `M = ${run.batchSize} saw a different number of examples`,
        );
        assert.equal(run.steps, 3 * Math.ceil(800 / run.batchSize));
        assert.ok(
          run.points.every((p) => Number.isFinite(p.loss)),
          `M = ${run.batchSize} has a non-finite loss`,
        );
        assert.ok(run.points[run.points.length - 1].loss < run.points[0].loss, `M = ${run.batchSize} did not lower the loss`);
      }
      assert.match(result.summary, /M = 8/);
      assert.deepEqual(gl.session.snapshot.compare, result);
      const rendered = await gl.waitForRender((s) => s.compareRuns === 2, 30000);
      assert.equal(rendered.compareRuns, 2);
      note(`summary: ${result.summary}`);
    } finally {
      await config.update('compare.batchSizes', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  test('Compare Batch Sizes with an invalid setting says what is wrong and runs nothing', async () => {
    const gl = await api();
    const result = await vscode.commands.executeCommand<CompareResult | undefined>(Commands.compareBatchSizes, digitsUri(), {
      batchSizes: [0, 'full'],
    });
    assert.equal(result, undefined);
    const last = gl.notices()[gl.notices().length - 1];
    assert.equal(last.severity, 'error');
    assert.match(last.message, /gradientLens\.compare\.batchSizes\[0\] is 0/);
  });

  test('Step Through Batch after a Step replays that batch: M examples whose mean gradient is the batch gradient', async () => {
    const gl = await api();
    await resetSession();
    const run = await vscode.commands.executeCommand<RunInfo | undefined>(Commands.step, digitsUri());
    assert.ok(run, `Step returned no run; messages: ${JSON.stringify(gl.notices())}`);
    await waitFor(
      () => lastStep(gl) >= 1 && gl.session.state === 'paused' && gl.session.snapshot.detail?.step === 1,
      30000,
      'the first step to be done and paused',
    );
    const shown = gl.session.snapshot.detail!;
    const batch = shown.examples.map((e) => e.index);
    const t0 = Date.now();
    const result = await vscode.commands.executeCommand<WalkthroughResult | undefined>(Commands.stepThroughBatch);
    assert.ok(result, `Step Through Batch returned nothing; messages: ${JSON.stringify(gl.notices())}`);
    note(`step through a batch of ${result.examples.length}: ${Date.now() - t0} ms`);
    const m = run.spec.batchSize;
    assert.equal(result.examples.length, m);
    assert.deepEqual(
      result.examples.map((e) => e.index),
      batch,
      'the replay is not the batch the run just trained on',
    );
    checkMeanIsBatchGradient(result);
    assert.deepEqual(result.selection, gl.session.snapshot.selection, 'the replay follows the selected parameter');
    // Against what the panel was sent for that step (the engine's per-example path in the batch
    // pass, at the weights before its update): the replay is of those weights, not the updated ones.
    const p = shown.perExample!;
    assert.deepEqual(result.selection, p.selection);
    assert.ok(result.atWeightsBeforeUpdate);
    const scale = Math.max(...p.perExample.map(Math.abs));
    result.examples.forEach((e, i) =>
      assert.ok(
        Math.abs(e.gradient - p.perExample[i]) <= 1e-4 * scale,
        `g${i}: replayed ${e.gradient}, the step used ${p.perExample[i]}`,
      ),
    );
    assert.ok(Math.abs(result.before - p.before) <= 1e-6 * Math.max(1, Math.abs(p.before)), `θ ${result.before} vs ${p.before}`);
    assert.ok(Math.abs(result.batchGradient - p.mean) <= 1e-4 * scale, `G ${result.batchGradient} vs ${p.mean}`);
    assert.ok(result.applied, 'the replay says what the run did with the batch');
    assert.ok(Math.abs(result.applied.after - p.after) <= 1e-6 * Math.max(1, Math.abs(p.after)), 'θ after the update');
    const rendered = await gl.waitForRender((s) => s.walkthroughExamples === m, 30000);
    assert.equal(rendered.walkthroughExamples, m);
    assert.equal(lastStep(gl), 1, 'stepping through must not train');
  });

  test('Step Through Batch with nothing running starts the run paused and replays its first batch at the initial weights', async () => {
    const gl = await api();
    await resetSession();
    const result = await vscode.commands.executeCommand<WalkthroughResult | undefined>(Commands.stepThroughBatch, digitsUri());
    assert.ok(result, `Step Through Batch returned nothing; messages: ${JSON.stringify(gl.notices())}`);
    await waitForState(gl, ['paused'], 10000);
    assert.equal(lastStep(gl), 0, 'no update may have been made');
    assert.equal(result.examples.length, gl.session.snapshot.run!.spec.batchSize);
    checkMeanIsBatchGradient(result);
    // Step now trains on exactly that batch.
    await vscode.commands.executeCommand(Commands.step);
    await waitFor(() => gl.session.snapshot.detail?.step === 1, 30000, 'the first step');
    assert.deepEqual(
      gl.session.snapshot.detail!.examples.map((e) => e.index),
      result.examples.map((e) => e.index),
    );
    await resetSession();
  });
});

suite('Gradient Lens: export history, batch snapshot and weights', () => {
  const out = (name: string) => vscode.Uri.joinPath(workspaceRoot(), `export-test-${name}`);
  const read = async (uri: vscode.Uri) => Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
  suiteTeardown(async () => {
    for (const name of ['history.json', 'history.csv', 'snapshot.json', 'weights.json']) {
      await vscode.workspace.fs.delete(out(name)).then(undefined, () => undefined);
    }
  });

  test('Export History writes JSON and CSV that parse back to exactly the session history', async () => {
    const gl = await api();
    await resetSession();
    await vscode.commands.executeCommand(Commands.train, digitsUri());
    await waitForState(gl, ['finished'], 60000);
    const { history, epochs } = gl.session.snapshot;
    assert.ok(
      history.length > 100 && epochs.length === 8,
      `expected a finished 8-epoch run, got ${history.length} steps, ${epochs.length} epochs`,
    );
    const json = await vscode.commands.executeCommand<vscode.Uri | undefined>(
      Commands.exportHistory,
      undefined,
      out('history.json'),
    );
    assert.ok(json, `no JSON written; messages: ${JSON.stringify(gl.notices())}`);
    const parsed = parseHistoryJson(await read(json));
    assert.deepEqual(parsed.history, history);
    assert.deepEqual(parsed.epochs, epochs);
    const csv = await vscode.commands.executeCommand<vscode.Uri | undefined>(
      Commands.exportHistory,
      undefined,
      out('history.csv'),
    );
    assert.ok(csv);
    const fromCsv = historyFromCsv(await read(csv));
    assert.deepEqual(fromCsv.history, history);
    assert.deepEqual(fromCsv.epochs, epochs);
  });

  test('Save Weights then Load Weights into a fresh run resumes from exactly those weights', async () => {
    const gl = await api();
    if (gl.session.state !== 'finished') {
      await resetSession();
      await vscode.commands.executeCommand(Commands.train, digitsUri());
      await waitForState(gl, ['finished'], 60000);
    }
    const trained = await gl.session.weights();
    const trainedLoss = gl.session.snapshot.epochs[gl.session.snapshot.epochs.length - 1].trainLoss;
    const file = await vscode.commands.executeCommand<vscode.Uri | undefined>(
      Commands.saveWeights,
      undefined,
      out('weights.json'),
    );
    assert.ok(file, `no weights written; messages: ${JSON.stringify(gl.notices())}`);
    assert.deepEqual(parseWeightsJson(await read(file)).tensors, trained);

    await resetSession();
    const loaded = await vscode.commands.executeCommand<boolean>(Commands.loadWeights, digitsUri(), file);
    assert.equal(loaded, true, `Load Weights failed; messages: ${JSON.stringify(gl.notices())}`);
    assert.equal(gl.session.state, 'paused');
    assert.deepEqual(await gl.session.weights(), trained, 'the fresh run does not hold the saved weights');
    // The first step of the fresh run now starts from the trained network: its loss is the trained one's, not ln 10.
    await vscode.commands.executeCommand(Commands.step);
    await waitFor(() => lastStep(gl) === 1, 30000, 'one step');
    const first = gl.session.snapshot.history[0].loss;
    note(
      `loss of step 1 after loading: ${first.toFixed(3)} (trained train loss ${trainedLoss.toFixed(3)}, untrained ≈ ${Math.log(10).toFixed(3)})`,
    );
    assert.ok(first < 0.5 * Math.log(10), `step 1 loss ${first} looks untrained`);

    // A file for another model is refused with the tensor named, and nothing changes.
    const bad = JSON.parse(await read(file));
    bad.tensors[0].shape = [3, 3];
    bad.tensors[0].value = new Array(9).fill(0);
    await vscode.workspace.fs.writeFile(out('weights.json'), Buffer.from(JSON.stringify(bad), 'utf8'));
    const before = await gl.session.weights();
    assert.equal(await vscode.commands.executeCommand<boolean>(Commands.loadWeights, digitsUri(), out('weights.json')), false);
    assert.match(gl.notices()[gl.notices().length - 1].message, /layers\[0\]\.weight/);
    assert.deepEqual(await gl.session.weights(), before);
    await resetSession();
  });

  test('Export Batch Snapshot writes the same JSON as the CLI snapshot command', async () => {
    const gl = await api();
    const file = await vscode.commands.executeCommand<vscode.Uri | undefined>(
      Commands.exportSnapshot,
      digitsUri(),
      out('snapshot.json'),
    );
    assert.ok(file, `no snapshot written; messages: ${JSON.stringify(gl.notices())}`);
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    const cli = execFileSync(
      process.execPath,
      [
        vscode.Uri.joinPath(extension.extensionUri, 'dist', 'cli.js').fsPath,
        'snapshot',
        digitsUri().fsPath,
        '--workspace',
        workspaceRoot().fsPath,
      ],
      { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } },
    );
    const exported = JSON.parse(await read(file));
    assert.equal(exported.perExampleLoss.length, 32);
    assert.deepEqual(exported, JSON.parse(cli));
  });
});

/** (1/M)·Σᵢ gᵢ from the one-example passes equals the gradient of one batch pass (float32 rounding aside). */
function checkMeanIsBatchGradient(result: WalkthroughResult): void {
  const g = result.examples.map((e) => e.gradient);
  const mean = g.reduce((a, b) => a + b, 0) / g.length;
  const scale = Math.max(...g.map(Math.abs), 1e-12);
  assert.ok(
    g.some((x) => x !== 0),
    'every per-example gradient of the selected parameter is zero: nothing to compare',
  );
  assert.ok(
    Math.abs(mean - result.batchGradient) <= 1e-5 * scale + 1e-9,
    `mean of the per-example gradients ${mean} differs from the batch gradient ${result.batchGradient}`,
  );
  const last = result.examples[result.examples.length - 1];
  assert.ok(Math.abs(last.runningMean - mean) <= 1e-6 * scale, 'the running mean after the last example is not the mean');
  assert.ok(Math.abs(result.after - (result.before - result.learningRate * mean)) <= 1e-6 * Math.max(1, Math.abs(result.before)));
}
