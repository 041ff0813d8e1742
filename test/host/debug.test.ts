// The debugger in the real extension host: a session started with vscode.debug.startDebugging,
// followed through a DebugAdapterTracker (every wait is for a DAP message, not for time).

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { api, digitsUri, workspaceRoot } from './helpers';
import { Follow, startAtBreakpoint, stop } from './debugFollow';

suite('Gradient Lens debugger', () => {
  test('a breakpoint with `step >= 3` on the second dense layer stops there; gradNorm and paged per-example gradients', async () => {
    await api();
    const doc = await vscode.workspace.openTextDocument(digitsUri());
    await vscode.window.showTextDocument(doc);
    const follow = new Follow();
    let session: vscode.DebugSession | undefined;
    let bp: vscode.SourceBreakpoint | undefined;
    try {
      const started = await startAtBreakpoint(doc, follow, '"units": 64', 'step >= 3');
      ({ session, bp } = started);
      const line = started.line;
      assert.equal(started.stopped.body.reason, 'breakpoint');
      const trace = (await session!.customRequest('stackTrace', { threadId: 1 })) as DebugProtocol.StackTraceResponse['body'];
      assert.deepEqual(
        trace.stackFrames.map((f) => f.name),
        ['layer 1 · dense 128→64 relu · after backward', 'step 3 (batch of 32)', 'epoch 1 of 8'],
      );
      assert.equal(trace.stackFrames[0].line, line + 1);
      const g = (await session!.customRequest('evaluate', {
        expression: 'gradNorm',
        frameId: 1,
        context: 'repl',
      })) as DebugProtocol.EvaluateResponse['body'];
      assert.ok(Number(g.result) > 0, g.result);
      const scopes = ((await session!.customRequest('scopes', { frameId: 1 })) as DebugProtocol.ScopesResponse['body']).scopes;
      const vars = (
        (await session!.customRequest('variables', {
          variablesReference: scopes[0].variablesReference,
        })) as DebugProtocol.VariablesResponse['body']
      ).variables;
      const perExample = vars.find((v) => v.name === 'perExample')!;
      assert.equal(perExample.type, 'float32[32×128×64]');
      const page = (
        (await session!.customRequest('variables', {
          variablesReference: perExample.variablesReference,
          filter: 'indexed',
          start: 30,
          count: 2,
        })) as DebugProtocol.VariablesResponse['body']
      ).variables;
      assert.deepEqual(
        page.map((v) => v.name),
        ['[30]', '[31]'],
      );

      // Continue to the next stop, which is step 4 at the same layer.
      const again = follow.next('stopped');
      await session!.customRequest('continue', { threadId: 1 });
      await again;
      const trace2 = (await session!.customRequest('stackTrace', { threadId: 1 })) as DebugProtocol.StackTraceResponse['body'];
      assert.equal(trace2.stackFrames[1].name, 'step 4 (batch of 32)');
      // The adapter reported the breakpoint verified and the host saw the stop through the tracker.
      assert.ok(
        follow.messages.some(
          (m) =>
            m.type === 'response' &&
            (m as DebugProtocol.Response).command === 'setBreakpoints' &&
            ((m as DebugProtocol.SetBreakpointsResponse).body?.breakpoints ?? []).some((b) => b.verified && b.line === line + 1),
        ),
      );
    } finally {
      await stop(session);
      if (bp) vscode.debug.removeBreakpoints([bp]);
      follow.registration.dispose();
    }
  });

  test('a configuration without "model" debugs the model file in the active editor (F5 without launch.json)', async () => {
    await api();
    const doc = await vscode.workspace.openTextDocument(digitsUri());
    await vscode.window.showTextDocument(doc);
    const follow = new Follow();
    let session: vscode.DebugSession | undefined;
    try {
      const stopped = follow.next('stopped');
      const folder = vscode.workspace.workspaceFolders?.[0] ?? { uri: workspaceRoot(), name: 'ws', index: 0 };
      assert.equal(
        await vscode.debug.startDebugging(folder, { type: 'gradient-lens', request: 'launch', name: 'F5', stopOnEntry: true }),
        true,
      );
      const ev = (await stopped) as DebugProtocol.StoppedEvent;
      assert.equal(ev.body.reason, 'entry');
      session = vscode.debug.activeDebugSession;
      assert.equal(session!.configuration.model, doc.uri.fsPath, '${file} became the active model file');
      assert.equal(typeof session!.configuration.explodingGradNorm, 'number', 'thresholds come from the settings');
      const stepped = follow.next('stopped');
      await session!.customRequest('stepIn', { threadId: 1 });
      await stepped;
      const trace = (await session!.customRequest('stackTrace', { threadId: 1 })) as DebugProtocol.StackTraceResponse['body'];
      assert.match(trace.stackFrames[0].name, /^example 1 of 32/);
    } finally {
      await stop(session);
      follow.registration.dispose();
    }
  });
});
