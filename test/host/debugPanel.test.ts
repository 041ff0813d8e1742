// The debugger and the rest of the editor in the real extension host: the Gradient Lens panel
// follows the stopped frame, and hovering a layer's line while stopped shows that layer's values.

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { ReadonlySnapshot } from '../../src/protocol';
import { api, digitsUri, resetSession, waitFor } from './helpers';
import { Follow, startAtBreakpoint, stop } from './debugFollow';

type Body<T extends DebugProtocol.Response> = NonNullable<T['body']>;

async function evaluate(session: vscode.DebugSession, expression: string, frameId = 1): Promise<string> {
  const r = (await session.customRequest('evaluate', {
    expression,
    frameId,
    context: 'watch',
  })) as Body<DebugProtocol.EvaluateResponse>;
  return r.result;
}

suite('Gradient Lens debugger with the panel and the editor', () => {
  test('the panel follows a stop at a layer breakpoint: the stopped layer, its step and its batch, with the same gᵢ', async () => {
    const gl = await api();
    await resetSession();
    const doc = await vscode.workspace.openTextDocument(digitsUri());
    await vscode.window.showTextDocument(doc);
    gl.panel.show(true);
    const follow = new Follow();
    let session: vscode.DebugSession | undefined;
    let bp: vscode.SourceBreakpoint | undefined;
    try {
      ({ session, bp } = await startAtBreakpoint(doc, follow, '"units": 64', 'step >= 3'));
      const trace = (await session.customRequest('stackTrace', { threadId: 1 })) as Body<DebugProtocol.StackTraceResponse>;
      assert.equal(trace.stackFrames[0].name, 'layer 1 · dense 128→64 relu · after backward');
      assert.equal(trace.stackFrames[1].name, 'step 3 (batch of 32)');

      // The Run every view draws from: paused at step 3, its detail that step's, on layers[1].
      const at = (step: number) =>
        waitFor(
          () => {
            const s = gl.session.snapshot;
            return s.status.state === 'paused' && s.detail?.step === step ? s : undefined;
          },
          60_000,
          `the panel's run paused with the detail of step ${step}`,
        );
      const snap: ReadonlySnapshot = await at(3);
      assert.equal(snap.status.step, 3);
      assert.equal(snap.selection?.layer, 1, 'the selection is the stopped layer');
      const d = snap.detail!;
      assert.equal(d.perExample?.selection.layer, 1);
      assert.equal(d.perExample?.perExample.length, 32);
      assert.equal(d.perExample?.updatePending, true, 'stopped before the update');
      // The same batch: the panel's examples are the debugger's `labels` and `predictions`, in order.
      assert.equal(d.examples.length, 32);
      for (const i of [0, 13, 31]) {
        assert.equal(String(d.examples[i].label), await evaluate(session, `labels[${i}]`));
        assert.equal(String(d.examples[i].prediction), await evaluate(session, `predictions[${i}]`));
      }
      // The same gᵢ: the panel's bars are the stopped layer's per-example gradients of that entry.
      const index = d.perExample!.selection.index;
      const [r, c] = [Math.floor(index / 64), index % 64];
      for (const i of [0, 7, 31]) {
        const debuggerValue = Number(await evaluate(session, `g[${i}, ${r}, ${c}]`));
        const bar = d.perExample!.perExample[i];
        assert.ok(Math.abs(debuggerValue - bar) <= 1e-3 * Math.abs(bar) + 1e-9, `g${i}: debugger ${debuggerValue}, panel ${bar}`);
      }
      // The webview drew that stop.
      await gl.waitForRender((s) => s.state === 'paused' && s.perExampleBars === 32, 60_000);

      // Continue in the debugger: the panel follows to the next stop.
      let stopped = follow.next('stopped');
      await session.customRequest('continue', { threadId: 1 });
      await stopped;
      assert.equal((await at(4)).selection?.layer, 1);

      // Resume from the panel: the debugger hears it (continued) and stops again at the breakpoint.
      const continued = follow.next('continued');
      stopped = follow.next('stopped');
      gl.session.resume();
      await continued;
      await stopped;
      await at(5);
    } finally {
      await stop(session);
      if (bp) vscode.debug.removeBreakpoints([bp]);
      follow.registration.dispose();
    }
  });

  test("hovering a layer's line while stopped shows that layer's values", async () => {
    await api();
    await resetSession();
    const doc = await vscode.workspace.openTextDocument(digitsUri());
    const editor = await vscode.window.showTextDocument(doc);
    const follow = new Follow();
    let session: vscode.DebugSession | undefined;
    let bp: vscode.SourceBreakpoint | undefined;
    try {
      ({ session, bp } = await startAtBreakpoint(doc, follow, '"units": 64', 'step == 2'));
      // VS Code shows debug hovers once it has focused the stopped frame.
      await waitFor(() => vscode.debug.activeStackItem instanceof vscode.DebugStackFrame, 60_000, 'the focused stack frame');
      const first = doc
        .getText()
        .split('\n')
        .findIndex((l) => l.includes('"units": 64'));
      const column = doc.lineAt(first).text.indexOf('units') + 1;
      await vscode.window.showTextDocument(doc, { selection: new vscode.Range(first, column, first, column) });
      assert.equal(vscode.window.activeTextEditor, editor);
      const answered = follow.answer(
        (r) => r.command === 'evaluate' && (r.arguments as DebugProtocol.EvaluateArguments).context === 'hover',
      );
      await vscode.commands.executeCommand('editor.debug.action.showDebugHover');
      const answer = (await answered) as DebugProtocol.EvaluateResponse;
      const asked = follow.requests.find((r) => r.seq === answer.request_seq)!.arguments as DebugProtocol.EvaluateArguments;
      assert.equal(asked.expression, 'layers[1]');
      assert.equal(answer.success, true, answer.message);
      // The layer's values at this stop: its gradient norm is the debugger's, and it can be expanded.
      assert.match(answer.body.result, /^layers\[1\] dense 128→64 relu {2}‖G‖ \S+ {2}‖θ‖ \S+/);
      const gradNorm = await evaluate(session, 'layers[1].gradNorm');
      assert.ok(answer.body.result.includes(`‖G‖ ${gradNorm}`), `${answer.body.result} vs ${gradNorm}`);
      assert.ok(answer.body.variablesReference > 0);
    } finally {
      await stop(session);
      if (bp) vscode.debug.removeBreakpoints([bp]);
      follow.registration.dispose();
    }
  });
});
