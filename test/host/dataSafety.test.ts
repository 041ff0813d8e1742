// In a real extension host: a model file in the workspace whose data file is a symbolic link to a
// file outside the workspace is refused before anything is read, the refusal listed in the panel at
// the file's `data.source` value; the same model over a link that stays inside trains.

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Commands } from '../../src/session/observable';
import type { RunInfo } from '../../src/protocol';
import { api, resetSession, waitFor, workspaceRoot } from './helpers';

const CSV = 'label,a,b\n0,1,2\n1,2,3\n0,1,1\n1,3,3\n';

suite('Gradient Lens: data files stay inside the workspace', () => {
  test('a data file that is a link to a file outside the workspace is refused in the panel and trains nothing', async () => {
    const gl = await api();
    await resetSession();
    const root = workspaceRoot().fsPath;
    const outside = mkdtempSync(path.join(tmpdir(), 'gl-outside-'));
    const secret = path.join(outside, 'secret.csv');
    writeFileSync(secret, CSV);
    const link = path.join(root, 'linked-outside.csv');
    const inside = path.join(root, 'linked-inside.csv');
    rmSync(link, { force: true });
    rmSync(inside, { force: true });
    symlinkSync(secret, link);
    writeFileSync(path.join(root, 'inside-target.csv'), CSV);
    symlinkSync(path.join(root, 'inside-target.csv'), inside);
    const uri = vscode.Uri.file(path.join(root, 'linked.gradlens.json'));
    const okUri = vscode.Uri.file(path.join(root, 'linked-ok.gradlens.json'));
    const model = (source: string) =>
      `{\n  "data": { "source": "${source}", "validationSplit": 0 },\n  "layers": [ { "type": "dense", "units": 2 } ],\n  "batchSize": 2\n}\n`;
    try {
      writeFileSync(uri.fsPath, model('linked-outside.csv'));
      gl.panel.show(true);
      await gl.waitForRender((s) => s.state === 'idle', 60000);
      const before = gl.notices().length;
      const run = await vscode.commands.executeCommand<RunInfo | undefined>(Commands.train, uri);
      assert.equal(run, undefined, 'a model whose data leads outside the workspace must not train');
      assert.equal(gl.session.state, 'idle');
      assert.equal(gl.session.snapshot.history.length, 0);
      const problems = gl.session.snapshot.problems;
      assert.ok(problems, 'the refusal is not listed in the panel');
      assert.equal(problems.file, 'linked.gradlens.json');
      assert.equal(problems.items.length, 1, JSON.stringify(problems.items));
      const [item] = problems.items;
      assert.equal(item.severity, 'error');
      assert.match(item.message, /outside the workspace folder/);
      assert.ok(item.message.includes(secret), `the message does not name the real file: ${item.message}`);
      assert.ok(item.message.includes('linked-outside.csv'), `the message does not name the data file: ${item.message}`);
      // Placed at the value of data.source (line 2 of the file), so the link in the panel selects it.
      const text = model('linked-outside.csv');
      assert.equal(text.slice(item.offset, item.offset + item.length), '"linked-outside.csv"');
      assert.deepEqual([item.line, item.column], [2, text.split('\n')[1].indexOf('"linked') + 1]);
      assert.equal((await gl.waitForRender((s) => s.problems === 1, 60000)).problems, 1);
      const notice = await waitFor(
        () =>
          gl
            .notices()
            .slice(before)
            .find((n) => n.severity === 'error' && /outside the workspace folder/.test(n.message)),
        10_000,
        'an error notice about the data path',
      );
      assert.ok(notice.message.startsWith('linked.gradlens.json: '), notice.message);

      // A link whose target stays inside the workspace is fine: the same model trains on it.
      writeFileSync(okUri.fsPath, model('linked-inside.csv'));
      const ok = await vscode.commands.executeCommand<RunInfo | undefined>(Commands.train, okUri);
      assert.ok(ok, 'a link inside the workspace must train');
      assert.equal(ok.trainSize, 4);
      await waitFor(() => gl.session.snapshot.problems === null, 10_000, 'the problems to clear');
    } finally {
      await resetSession();
      for (const f of [link, inside, path.join(root, 'inside-target.csv'), uri.fsPath, okUri.fsPath]) rmSync(f, { force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
