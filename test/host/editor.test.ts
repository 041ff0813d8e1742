// Beside the code, in the real extension host: the CodeLens above a model file, a layer's hover
// with its statistics after a step, and training-health diagnostics on the layer's line.

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { Commands } from '../../src/session/observable';
import type { RunInfo } from '../../src/protocol';
import { api, digitsUri, resetSession, waitFor, waitForState, workspaceRoot } from './helpers';

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
    const run = await vscode.commands.executeCommand<RunInfo | undefined>(Commands.step, doc.uri);
    assert.ok(run, 'Step started a run');
    await waitFor(() => gl.session.snapshot.history.length >= 1, 30000, 'one step in the history');
    const layerLine = doc
      .getText()
      .split('\n')
      .findIndex((l) => l.includes('"units": 128'));
    const position = new vscode.Position(layerLine, doc.lineAt(layerLine).text.indexOf('dense'));
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, position);
    const text = hovers
      .flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value)))
      .join('\n');
    assert.match(text, /Gradient norm/);
    assert.match(text, /dense 784→128 relu/);
    const norm = gl.session.snapshot.history[gl.session.snapshot.history.length - 1].layers.find((l) => l.layer === 0)!.gradNorm;
    assert.ok(Number.isFinite(norm) && norm > 0);
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
      const d = health[0];
      assert.match(d.message, /^(layers\[\d\]|loss)/);
      if (d.message.startsWith('layers[')) {
        const layer = Number(/^layers\[(\d)\]/.exec(d.message)![1]);
        const lineText = doc.lineAt(d.range.start.line).text;
        assert.match(lineText, /"type":\s*"dense"/, `diagnostic for layer ${layer} is on its line`);
      }
      await waitForState(gl, ['paused', 'finished', 'failed', 'stopped'], 60000);
    } finally {
      await vscode.commands.executeCommand(Commands.stop);
      await resetSession();
      await vscode.workspace.fs.delete(uri).then(undefined, () => undefined);
    }
  });
});
