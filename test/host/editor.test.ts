// Beside the code, in the real extension host: the CodeLens above a model file, a layer's hover
// with its statistics after a step, and training-health diagnostics on the layer's line.

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { Commands } from '../../src/session/observable';
import { api, digitsUri, note, resetSession, waitFor, waitForState, workspaceRoot } from './helpers';

suite('Gradient Lens beside the code', () => {
  test('a model file has Train, Step and Gradient check lenses that carry its uri', async () => {
    await api();
    const doc = await vscode.workspace.openTextDocument(digitsUri());
    await vscode.window.showTextDocument(doc);
    let lenses: vscode.CodeLens[] = [];
    // The lenses appear once the extension has parsed the file: poll for them, with a generous deadline.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && lenses.filter((l) => l.command?.command.startsWith('gradientLens.')).length < 3) {
      lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri)) ?? [];
      await new Promise((r) => setTimeout(r, 100));
    }
    const ours = lenses.filter((l) => l.command?.command.startsWith('gradientLens.'));
    assert.deepEqual(
      ours.map((l) => l.command!.command),
      [Commands.train, Commands.step, Commands.gradientCheck],
    );
    for (const l of ours) assert.equal((l.command!.arguments?.[0] as vscode.Uri).toString(), doc.uri.toString());
    assert.equal(doc.lineAt(ours[0].range.start.line).text.trim().startsWith('{'), true, 'the lenses sit above the model object');
  });

  test("after one step, hovering a layer shows that layer's gradient statistics", async () => {
    const gl = await api();
    await resetSession();
    const doc = await vscode.workspace.openTextDocument(digitsUri());
    await vscode.window.showTextDocument(doc);
    // Start paused at the initial weights, read them, then make one step and read them again: the
    // hover's numbers are checked against these weights, not against the step's statistics.
    const replay = await vscode.commands.executeCommand(Commands.stepThroughBatch, doc.uri);
    if (!replay)
      note(`Step Through Batch answered nothing (${JSON.stringify(gl.notices().slice(-1))}); its run is used all the same`);
    await waitFor(
      () => gl.session.state === 'paused' && gl.session.snapshot.run !== null,
      30000,
      'a run paused before its first step',
    );
    const run = gl.session.snapshot.run;
    assert.ok(run);
    assert.equal(gl.session.snapshot.history.length, 0, 'no step yet');
    const w0 = await gl.session.weights();
    await vscode.commands.executeCommand(Commands.step);
    await waitFor(() => gl.session.snapshot.history.length >= 1, 30000, 'one step in the history');
    const w1 = await gl.session.weights();
    const layerLine = doc
      .getText()
      .split('\n')
      .findIndex((l) => l.includes('"units": 128'));
    const position = new vscode.Position(layerLine, doc.lineAt(layerLine).text.indexOf('dense'));
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, position);
    const text = hovers
      .flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value)))
      .join('\n');
    assert.match(text, /dense 784→128 relu/);
    // Layer 0's weight and bias, before and after step 1. With momentum the first velocity is G
    // itself, so Δθ = −γ·G: ‖G‖ = ‖Δθ‖/γ, ‖θ‖ before, and the update ratio ‖Δθ‖/‖θ‖.
    const norm = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + x * x, 0));
    const layer0 = (w: typeof w0) => w.filter((t) => t.layer === 0).flatMap((t) => t.value);
    const theta0 = layer0(w0);
    const delta = layer0(w1).map((v, i) => v - theta0[i]);
    const lr = run.spec.optimizer.learningRate;
    const row = (label: string): number => {
      const m = new RegExp(`${label}[^|]*\\|\\s*([-+0-9.e]+)`).exec(text);
      assert.ok(m, `no ${label} row in the hover:\n${text}`);
      return Number(m[1]);
    };
    for (const [label, expected] of [
      ['Gradient norm', norm(delta) / lr],
      ['Weight norm', norm(theta0)],
      ['Update ratio', norm(delta) / norm(theta0)],
    ] as const) {
      const shown = row(label);
      assert.ok(Math.abs(shown - expected) <= 0.01 * expected, `${label}: the hover shows ${shown}, the weights say ${expected}`);
    }
    await vscode.commands.executeCommand(Commands.stop);
  });

  test('a diverging run puts a health diagnostic on the layer that blew up', async () => {
    const gl = await api();
    await resetSession();
    const uri = vscode.Uri.joinPath(workspaceRoot(), 'digits', 'diverging.gradlens.json');
    const text = (await vscode.workspace.fs.readFile(digitsUri()))
      .toString()
      .replace(/"learningRate":\s*[0-9.]+/, '"learningRate": 100000')
      .replace(/"epochs":\s*\d+/, '"epochs": 3');
    await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
    try {
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand(Commands.train, uri);
      const health = await waitFor(
        () => {
          const d = vscode.languages
            .getDiagnostics(uri)
            .filter((x) => x.code === 'exploding-gradient' || x.code === 'non-finite');
          return d.length ? d : undefined;
        },
        60000,
        'a health diagnostic on the diverging model',
      );
      // Each diagnostic sits on the line of the layer it names: layers[k] on the k-th layer object.
      const layerLines = doc
        .getText()
        .split('\n')
        .flatMap((l, i) => (/"type":\s*"dense"/.test(l) ? [i] : []));
      assert.equal(layerLines.length, 3);
      for (const d of health) {
        assert.match(d.message, /^(layers\[\d\]|loss)/);
        const named = /^layers\[(\d)\]/.exec(d.message);
        if (named) assert.equal(d.range.start.line, layerLines[Number(named[1])], `${d.message} is on the line of its layer`);
      }
      assert.ok(
        health.some((d) => d.message.startsWith('layers[')),
        `no diagnostic names a layer: ${health.map((d) => d.message).join('; ')}`,
      );
      await waitForState(gl, ['paused', 'finished', 'failed', 'stopped'], 60000);
    } finally {
      await vscode.commands.executeCommand(Commands.stop);
      await resetSession();
      await vscode.workspace.fs.delete(uri).then(undefined, () => undefined);
    }
  });
});
