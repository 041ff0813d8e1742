// Restricted Mode: the host suite's second run opens its workspace untrusted (workspace trust on,
// no startup prompt; scripts/host/mocha.mjs). Gradient Lens declares limited support, so it must
// activate, check model files as they are typed, train on the built-in digits, and ask for trust
// before it reads a data file from the workspace.

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { Commands } from '../../src/session/observable';
import type { RunInfo } from '../../src/protocol';
import { api, digitsUri, lastStep, resetSession, waitFor, workspaceRoot } from './helpers';

suite('Gradient Lens in Restricted Mode (an untrusted workspace)', () => {
  test('the workspace is untrusted and the extension is active', async () => {
    assert.equal(vscode.workspace.isTrusted, false, 'the harness should have opened this workspace untrusted');
    const gl = await api();
    assert.equal(gl.session.state, 'idle');
    assert.ok(vscode.extensions.getExtension('gradient-lens.gradient-lens')?.isActive);
  });

  test('a model file gets its diagnostics', async () => {
    const uri = vscode.Uri.joinPath(workspaceRoot(), 'restricted-broken.gradlens.json');
    const text = '{ "data": { "source": "mnist" }, "layers": [ { "type": "dense", "units": -3 } ] }';
    await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
    try {
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
      const d = await waitFor(
        () => vscode.languages.getDiagnostics(uri).find((x) => x.message.includes('layers[0].units')),
        10_000,
        'a diagnostic for layers[0].units',
      );
      assert.equal(doc.getText(d.range), '-3');
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      await vscode.workspace.fs.delete(uri);
    }
  });

  test('training on the built-in digits works', async () => {
    const gl = await api();
    await resetSession();
    const run = await vscode.commands.executeCommand<RunInfo | undefined>(Commands.train, digitsUri());
    assert.ok(run, 'Train should start on the built-in digits in Restricted Mode');
    await waitFor(() => lastStep(gl) > 0 || gl.session.state === 'finished', 120_000, 'a training step');
    assert.notEqual(gl.session.state, 'failed');
    await resetSession();
  });

  test('training on a data file from the workspace asks for trust and reads nothing', async () => {
    const gl = await api();
    await resetSession();
    const root = workspaceRoot();
    await vscode.workspace.fs.writeFile(
      vscode.Uri.joinPath(root, 'restricted.csv'),
      Buffer.from('label,a,b\n0,1,2\n1,2,3\n', 'utf8'),
    );
    const uri = vscode.Uri.joinPath(root, 'restricted.gradlens.json');
    const model = '{ "data": { "source": "restricted.csv" }, "layers": [ { "type": "dense", "units": 2 } ], "batchSize": 2 }';
    await vscode.workspace.fs.writeFile(uri, Buffer.from(model, 'utf8'));
    try {
      const before = gl.notices().length;
      const run = await vscode.commands.executeCommand<RunInfo | undefined>(Commands.train, uri);
      assert.equal(run, undefined, 'Train must not read workspace data without trust');
      assert.equal(gl.session.state, 'idle');
      const notice = await waitFor(
        () =>
          gl
            .notices()
            .slice(before)
            .find((n) => /not trusted/.test(n.message)),
        10_000,
        'a notice asking for trust',
      );
      assert.match(notice.message, /Restricted Mode/);
    } finally {
      await vscode.workspace.fs.delete(uri);
      await vscode.workspace.fs.delete(vscode.Uri.joinPath(root, 'restricted.csv'));
    }
  });
});
