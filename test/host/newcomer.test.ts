// In a real extension host, what a newcomer does first: Repeat One Example (the second question),
// a run the panel shows from its first step, the Slow pace, Train on a broken file (its errors in
// the panel, no second editor), and the Getting Started walkthrough's completion events.

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { Commands } from '../../src/session/observable';
import type { RepeatResult, RunInfo } from '../../src/protocol';
import * as h from './helpers';
import { api, digitsUri, lastStep, note, resetSession, waitFor } from './helpers';

const sameUri = (a: vscode.Uri, b: vscode.Uri): boolean => a.toString() === b.toString();

/** Every tab, in every group, that shows `uri` as a text editor. */
function tabsOf(uri: vscode.Uri): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputText && sameUri(t.input.uri, uri));
}

async function closeTabsOf(uri: vscode.Uri): Promise<void> {
  const tabs = tabsOf(uri);
  if (tabs.length) await vscode.window.tabGroups.close(tabs);
}

suite('Gradient Lens: what a newcomer does first', () => {
  test('Repeat One Example fits the example (loss < 5 % of its start) while validation ends worse than normal training', async () => {
    const gl = await api();
    await resetSession();
    gl.panel.show(true);
    const result = await vscode.commands.executeCommand<RepeatResult | undefined>(Commands.repeatOneExample, digitsUri(), {
      example: 0,
    });
    assert.ok(result, `Repeat returned nothing; messages: ${JSON.stringify(gl.notices())}`);
    note(
      `repeat #0: loss ${result.initialExampleLoss.toFixed(3)} → ${result.finalExampleLoss.toFixed(4)} in ${result.updates} updates; ` +
        `validation ${result.finalValidationLoss?.toFixed(3)} vs normal training ${result.baselineValidationLoss?.toFixed(3)}`,
    );
    assert.equal(result.example.index, 0);
    assert.ok(result.finalExampleLoss < 0.05 * result.initialExampleLoss, 'the repeated example is not fitted');
    assert.ok(result.updates <= 200, `${result.updates} updates: the setting's cap is 200`);
    assert.equal(result.series.length, result.updates + 1, 'one point per update and the start');
    assert.ok(result.finalValidationLoss! > result.baselineValidationLoss!, 'repeating one example must generalise worse');
    assert.ok(result.forgetting, 'the forgetting experiment is missing');
    assert.ok(result.forgetting.lossAAfterB > result.forgetting.lossAFitted, 'fitting B did not raise A again');
    assert.deepEqual(gl.session.snapshot.repeat, result);
    // The open panel draws it (the result reaches a panel that is already showing).
    const rendered = await gl.waitForRender((s) => s.repeatUpdates === result.updates, 60000);
    assert.equal(rendered.repeatUpdates, result.updates);
    assert.ok(gl.notices().some((n) => n.severity === 'info' && /repeated example #0/.test(n.message)));
  });

  test('Repeat One Example takes its cap from the setting gradientLens.repeat.times', async () => {
    const gl = await api();
    const config = vscode.workspace.getConfiguration('gradientLens');
    await config.update('repeat.times', 3, vscode.ConfigurationTarget.Workspace);
    try {
      const result = await vscode.commands.executeCommand<RepeatResult | undefined>(Commands.repeatOneExample, digitsUri());
      assert.ok(result, `Repeat returned nothing; messages: ${JSON.stringify(gl.notices())}`);
      assert.equal(result.updates, 3, 'three updates at most, as the setting says');
    } finally {
      await config.update('repeat.times', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  test('Train opens the panel first and the panel shows the run from before its first step', async () => {
    const gl = await api();
    await resetSession();
    gl.panel.webviewPanel?.dispose();
    await waitFor(() => !gl.panel.isOpen, 10000, 'the panel to close');
    // 40 steps a second: the 200-step run then lasts 5 s, so the page has a running step to draw
    // however slowly a loaded machine renders (at full speed the run could end before its first frame).
    const config = vscode.workspace.getConfiguration('gradientLens');
    await config.update('stepsPerSecond', 40, vscode.ConfigurationTarget.Workspace);
    try {
      await waitFor(() => gl.session.snapshot.pace === 40, 10000, 'the session to take the pace');
      // Waiting from before Train: the fresh page must draw the run while it loads and while it trains.
      const loading = gl.waitForRender((s) => s.state === 'loading', 120000);
      const live = gl.waitForRender((s) => s.state === 'running' && s.lastStep > 0, 120000);
      const run = await vscode.commands.executeCommand<RunInfo | undefined>(Commands.train, digitsUri());
      assert.ok(run, `Train returned no run; messages: ${JSON.stringify(gl.notices())}`);
      await loading;
      const seen = await live;
      await h.waitForState(gl, ['finished'], 120000);
      const total = lastStep(gl);
      note(`the new panel drew step ${seen.lastStep} of ${total} while training`);
      assert.ok(seen.lastStep < total, 'the panel only saw the run after it ended');
    } finally {
      await config.update('stepsPerSecond', undefined, vscode.ConfigurationTarget.Workspace);
      await resetSession();
    }
  });

  test('a slow pace holds training between steps, and Slow switched off takes effect in the running training', async () => {
    const gl = await api();
    await resetSession();
    const config = vscode.workspace.getConfiguration('gradientLens');
    // One step per 100 s: after its first step the run must wait, whatever the machine's speed.
    await config.update('stepsPerSecond', 0.01, vscode.ConfigurationTarget.Workspace);
    try {
      await waitFor(() => gl.session.snapshot.pace === 0.01, 10000, 'the session to take the pace');
      const uri = await h.longRunUri();
      await vscode.commands.executeCommand(Commands.train, uri);
      await waitFor(() => lastStep(gl) >= 1, 60000, 'the first step');
      await h.workerRoundTrips(gl, 5);
      assert.equal(gl.session.state, 'running');
      assert.equal(lastStep(gl), 1, 'the run went on without waiting for its pace');
      const rendered = await gl.waitForRender((s) => s.pace === 0.01, 60000);
      assert.equal(rendered.pace, 0.01, 'the panel shows the pace');
      const pace = await vscode.commands.executeCommand<number>(Commands.toggleSlow);
      assert.equal(pace, 0, 'Slow was on, so the toggle switches it off');
      await waitFor(() => lastStep(gl) >= 50, 60000, 'training at full speed again');
      assert.equal(config.get('stepsPerSecond'), 0);
      assert.equal(await vscode.commands.executeCommand<number>(Commands.toggleSlow), 10, 'and on again: 10 steps a second');
      await waitFor(() => gl.session.snapshot.pace === 10, 10000, 'the pace of 10');
    } finally {
      await config.update('stepsPerSecond', undefined, vscode.ConfigurationTarget.Workspace);
      await resetSession();
    }
  });

  test('Train on a broken file lists its errors in the panel and selects the first in the editor that shows it, with no second copy', async () => {
    const gl = await api();
    await resetSession();
    const uri = vscode.Uri.joinPath(h.workspaceRoot(), 'digits', 'broken-newcomer.gradlens.json');
    const text = Buffer.from(await vscode.workspace.fs.readFile(digitsUri()))
      .toString('utf8')
      .replace(/"units":\s*64/, '"units": -3')
      .replace(/"epochs"/, '"epocs"');
    await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
    try {
      await closeTabsOf(uri);
      const editor = await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.One, preview: false });
      // The panel beside it (a new one: an old one may share the file's group), focused: as when the user presses Train in the panel.
      gl.panel.webviewPanel?.dispose();
      await waitFor(() => !gl.panel.isOpen, 10000, 'the old panel to close');
      gl.panel.show(false);
      await gl.waitForRender((s) => s.state === 'idle', 60000);
      await waitFor(() => gl.panel.webviewPanel?.active, 10000, 'the panel to be active');
      const run = await vscode.commands.executeCommand<RunInfo | undefined>(Commands.train, uri);
      const afterTrain = vscode.window.activeTextEditor?.document.uri.path ?? 'none';
      assert.equal(run, undefined, 'a broken file must not train');
      const problems = gl.session.snapshot.problems;
      assert.ok(problems, 'the session lists no problems');
      assert.equal(problems.file, 'digits/broken-newcomer.gradlens.json');
      assert.ok(problems.items.length >= 2, `expected both mistakes, got ${JSON.stringify(problems.items)}`);
      const first = problems.items[0];
      assert.equal(text.slice(first.offset, first.offset + first.length), '-3', 'the first problem is the bad units');
      const rendered = await gl.waitForRender((s) => s.problems === problems.items.length, 60000);
      assert.equal(rendered.problems, problems.items.length);
      const afterRender = vscode.window.activeTextEditor?.document.uri.path ?? 'none';
      assert.equal(tabsOf(uri).length, 1, 'Train opened a second copy of the file');
      const active = await waitFor(
        () => {
          const e = vscode.window.activeTextEditor;
          return e && sameUri(e.document.uri, uri) ? e : undefined;
        },
        10000,
        () =>
          `the broken file to be the active editor (after Train: ${afterTrain}; after the render: ${afterRender}; active: ${vscode.window.activeTextEditor?.document.uri.path ?? 'none'}; groups: ${vscode.window.tabGroups.all
            .map(
              (g) =>
                `${g.viewColumn}${g.isActive ? '*' : ''}[${g.tabs.map((t) => t.label + (t.isActive ? '*' : '')).join(', ')}]`,
            )
            .join(' ')})`,
      );
      assert.equal(active.viewColumn, editor.viewColumn, 'the file was shown in another group');
      assert.notEqual(gl.panel.webviewPanel?.viewColumn, editor.viewColumn, 'the panel is not beside the file');
      assert.equal(active.document.getText(active.selection), '-3', 'the first error is not selected');
      // A run that starts clears the list.
      await vscode.commands.executeCommand(Commands.step, digitsUri());
      await waitFor(() => gl.session.snapshot.problems === null, 30000, 'the problems to clear');
      assert.equal((await gl.waitForRender((s) => s.problems === 0, 60000)).problems, 0);
    } finally {
      await resetSession();
      await closeTabsOf(uri);
      await vscode.workspace.fs.delete(uri).then(undefined, () => undefined);
    }
  });

  test("the walkthrough's steps complete on what the user does: registered commands and the model-file context", async () => {
    const gl = await api();
    const ext = vscode.extensions.getExtension(h.EXTENSION_ID)!;
    const walkthrough = (
      ext.packageJSON.contributes.walkthroughs as {
        steps: { id: string; description: string; completionEvents: string[]; media: { markdown: string } }[];
      }[]
    )[0];
    const ids = walkthrough.steps.map((s) => s.id);
    assert.deepEqual(ids, ['openExample', 'train', 'perExample', 'stepThrough', 'compare', 'repeat']);
    const all = await vscode.commands.getCommands(true);
    for (const step of walkthrough.steps) {
      assert.ok(step.completionEvents.length > 0, `${step.id} never completes`);
      for (const event of step.completionEvents) {
        const [kind, name] = event.split(/:(.*)/s);
        if (kind === 'onCommand') assert.ok(all.includes(name), `${step.id}: ${name} is not a registered command`);
        else assert.equal(`${kind}:${name}`, 'onContext:gradientLens.modelFileOpen', `${step.id}: unexpected event ${event}`);
      }
      // Its button runs a command that exists, and its picture is in the package.
      for (const [, command] of step.description.matchAll(/\(command:([\w.]+)\)/g)) assert.ok(all.includes(command), command);
      await vscode.workspace.fs.stat(vscode.Uri.joinPath(ext.extensionUri, step.media.markdown));
    }
    // The first step's context follows the screen: on with a model file visible, off without.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitFor(() => !gl.modelFileOpen(), 10000, 'the model-file context to be off');
    await vscode.window.showTextDocument(digitsUri());
    await waitFor(() => gl.modelFileOpen(), 10000, 'the model-file context to be on');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
