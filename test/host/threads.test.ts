// The setting gradientLens.engineThreads in the real extension host: Train with 2 trains the digits
// example inside the training worker on two threads (the helper is a worker_thread of that worker),
// and the run's backend, which the panel's toolbar shows as it is, says so; with 1 it says 1 thread.

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { Commands } from '../../src/session/observable';
import type { RunInfo } from '../../src/protocol';
import { api, digitsUri, lastStep, resetSession, waitFor } from './helpers';

suite('Gradient Lens engine threads', () => {
  const config = () => vscode.workspace.getConfiguration('gradientLens');
  suiteTeardown(async () => {
    await config().update('engineThreads', undefined, vscode.ConfigurationTarget.Workspace);
  });

  for (const threads of [2, 1] as const)
    test(`engineThreads ${threads}: the run trains on ${threads} thread(s) and the panel's run says so`, async () => {
      const gl = await api();
      await resetSession();
      await config().update('engineThreads', threads, vscode.ConfigurationTarget.Workspace);
      const run = await vscode.commands.executeCommand<RunInfo | undefined>(Commands.train, digitsUri());
      assert.ok(run);
      assert.equal(
        run.backend,
        threads === 2 ? 'wasm-simd, up to 2 threads (the 2nd joins after 250 ms of training)' : 'wasm-simd, 1 thread',
      );
      await waitFor(() => lastStep(gl) >= 5, 60_000, 'five steps on the panel');
      assert.equal(gl.session.snapshot.run?.backend, run.backend);
      await vscode.commands.executeCommand(Commands.stop);
    });
});
