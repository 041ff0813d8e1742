// A multi-root workspace (the host suite's third run opens two-folders.code-workspace: folders A and
// B; scripts/host/mocha.mjs). Each folder has its own model and data: a model's data path resolves
// inside the model's own workspace folder (not the first folder), a path from one folder into the
// other is refused at its value, and the panel and the status bar name the file with its folder.

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { Commands } from '../../src/session/observable';
import { statusBarView } from '../../src/editor/statusText';
import type { RunInfo } from '../../src/protocol';
import { api, resetSession, waitFor, waitForState } from './helpers';

/** Two features, two classes, 4 rows (folder A) and three features, three classes, 6 rows (folder B). */
const A_CSV = 'label,a,b\n0,1,2\n1,2,3\n0,1,1\n1,3,3\n';
const B_CSV = 'label,a,b,c\n0,1,2,3\n1,2,3,4\n2,3,4,5\n0,1,1,1\n1,3,3,3\n2,5,5,5\n';

/** A one-layer model of `classes` outputs on `source`. */
function model(name: string, source: string, classes: number): string {
  return `{\n  "name": "${name}",\n  "data": { "source": "${source}", "validationSplit": 0 },\n  "layers": [ { "type": "dense", "units": ${classes} } ],\n  "batchSize": 2,\n  "epochs": 1\n}\n`;
}

function folders(): { a: vscode.WorkspaceFolder; b: vscode.WorkspaceFolder } {
  const f = vscode.workspace.workspaceFolders ?? [];
  assert.deepEqual(
    f.map((x) => x.name),
    ['A', 'B'],
    'the harness should have opened the two-folder workspace',
  );
  return { a: f[0], b: f[1] };
}

async function write(uri: vscode.Uri, text: string): Promise<void> {
  await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
}

/** Trains `uri` to its end; the run's info. */
async function train(uri: vscode.Uri): Promise<RunInfo> {
  const gl = await api();
  const run = await vscode.commands.executeCommand<RunInfo | undefined>(Commands.train, uri);
  assert.ok(run, `${vscode.workspace.asRelativePath(uri)} should train`);
  await waitForState(gl, ['finished'], 120_000);
  return run;
}

suite('Gradient Lens in a multi-root workspace (two folders, each with its own model and data)', () => {
  suiteSetup(async () => {
    const { a, b } = folders();
    await write(vscode.Uri.joinPath(a.uri, 'data.csv'), A_CSV);
    await write(vscode.Uri.joinPath(b.uri, 'data.csv'), B_CSV);
    await write(vscode.Uri.joinPath(a.uri, 'a.gradlens.json'), model('model A', 'data.csv', 2));
    await write(vscode.Uri.joinPath(b.uri, 'b.gradlens.json'), model('model B', 'data.csv', 3));
    await write(vscode.Uri.joinPath(a.uri, 'escape.gradlens.json'), model('escape', '../B/data.csv', 3));
  });

  teardown(resetSession);

  test("the model in the second folder trains on that folder's data, and the panel and status bar name it", async () => {
    const gl = await api();
    const { b } = folders();
    const uri = vscode.Uri.joinPath(b.uri, 'b.gradlens.json');
    const run = await train(uri);
    // B's data: 6 rows of 3 features (A's has 4 rows of 2; the same relative path "data.csv" in both).
    assert.equal(run.trainSize, 6);
    assert.deepEqual(run.layers[0].inputShape, [3]);
    assert.equal(run.file, 'B/b.gradlens.json');
    assert.equal(run.spec.name, 'model B');
    const summary = await gl.waitForRender((s) => s.state === 'finished' && s.lastStep > 0, 60_000);
    assert.equal(summary.lastStep, gl.session.snapshot.history.at(-1)?.step);
    assert.equal(gl.session.snapshot.run?.file, 'B/b.gradlens.json', 'the panel shows the run of B');
    const bar = statusBarView(gl.session.snapshot, true);
    assert.ok(bar.tooltip.includes('B/b.gradlens.json'), bar.tooltip);
  });

  test("the model in the first folder trains on its own folder's data", async () => {
    const { a } = folders();
    const run = await train(vscode.Uri.joinPath(a.uri, 'a.gradlens.json'));
    assert.equal(run.trainSize, 4);
    assert.deepEqual(run.layers[0].inputShape, [2]);
    assert.equal(run.file, 'A/a.gradlens.json');
  });

  test('a model in the first folder that points into the second (../B/data.csv) is refused at its data.source value', async () => {
    const gl = await api();
    const { a } = folders();
    const uri = vscode.Uri.joinPath(a.uri, 'escape.gradlens.json');
    const text = model('escape', '../B/data.csv', 3);
    const at = text.indexOf('"../B/data.csv"');
    // In the editor: a diagnostic at the value, as the file is opened.
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const d = await waitFor(
      () => vscode.languages.getDiagnostics(uri).find((x) => x.message.startsWith('data.source')),
      10_000,
      'a diagnostic for data.source',
    );
    assert.equal(doc.getText(d.range), '"../B/data.csv"');
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    // Train refuses it, reads nothing, and lists the problem in the panel under the file's name.
    const before = gl.notices().length;
    const run = await vscode.commands.executeCommand<RunInfo | undefined>(Commands.train, uri);
    assert.equal(run, undefined, 'a model whose data lies in another workspace folder must not train');
    assert.equal(gl.session.state, 'idle');
    assert.equal(gl.session.snapshot.history.length, 0);
    const problems = gl.session.snapshot.problems;
    assert.ok(problems, 'the refusal is not listed in the panel');
    assert.equal(problems.file, 'A/escape.gradlens.json');
    assert.equal(problems.items.length, 1, JSON.stringify(problems.items));
    const [item] = problems.items;
    assert.equal(item.severity, 'error');
    assert.match(item.message, /^data\.source: .*inside the workspace/);
    assert.deepEqual([item.offset, item.length], [at, '"../B/data.csv"'.length]);
    assert.deepEqual([item.line, item.column], [3, text.split('\n')[2].indexOf('"../B') + 1]);
    // The editor opened above may cover the panel: bring it back to see it draw the problem.
    gl.panel.show(true);
    assert.equal((await gl.waitForRender((s) => s.problems === 1, 60_000)).problems, 1);
    const notice = await waitFor(
      () =>
        gl
          .notices()
          .slice(before)
          .find((n) => n.severity === 'error'),
      10_000,
      'an error notice',
    );
    assert.ok(notice.message.startsWith('A/escape.gradlens.json '), notice.message);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});
