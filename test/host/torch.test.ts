// Train with PyTorch in the real extension host: the digits example on 2 DDP ranks of Debian's
// torch (the interpreter is the gradientLens.pythonPath default, /usr/bin/python3, as for a user).
// The panel shows the run live, its ranks card included; Pause and Step hold the ranks between two
// steps; Stop ends every rank and keeps the history.

import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { RenderSummary } from '../../src/protocol';
import { Commands } from '../../src/session/observable';
import { api, digitsUri, lastStep, note, resetSession, waitFor, waitForState } from './helpers';

const TRAIN_WITH_PYTORCH = 'gradientLens.trainWithPyTorch';

/** Process ids of the live descendants of this extension host whose command line names gradlens (launcher, ranks). */
function gradlensProcesses(): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') parent.set(Number(name), Number(fields[1]));
    } catch {
      // the process ended while we looked
    }
  }
  const isOurs = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === process.pid) return true;
    return false;
  };
  return [...parent.keys()].filter((pid) => {
    try {
      return isOurs(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('gradlens');
    } catch {
      return false;
    }
  });
}

const alive = (pid: number): boolean => {
  try {
    return existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

function checkRanks(r: RenderSummary['ranks']): void {
  assert.ok(r, 'the panel drew no ranks');
  assert.equal(r.rankBatchSizes.length, 2, `expected 2 ranks, the panel drew ${JSON.stringify(r)}`);
  assert.equal(
    r.rankBatchSizes.reduce((a, b) => a + b, 0),
    r.batchSize,
    `the ranks' batches ${r.rankBatchSizes.join(' + ')} do not add up to the step's ${r.batchSize}`,
  );
}

suite('Train with PyTorch in the extension host', () => {
  const config = () => vscode.workspace.getConfiguration('gradientLens');

  suiteSetup(async () => {
    await config().update('pytorch.ranks', 2, vscode.ConfigurationTarget.Workspace);
  });

  suiteTeardown(async () => {
    await config().update('pytorch.ranks', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('pytorch.steps', undefined, vscode.ConfigurationTarget.Workspace);
  });

  test('a short 2-rank run finishes with every step in the history and its last step’s 2 ranks in the panel', async function () {
    this.timeout(600_000);
    const gl = await api();
    await resetSession();
    await config().update('pytorch.steps', 3, vscode.ConfigurationTarget.Workspace);
    const records = await vscode.commands.executeCommand<{ step: number }[] | undefined>(TRAIN_WITH_PYTORCH, digitsUri());
    assert.ok(records, `Train with PyTorch returned nothing; messages: ${JSON.stringify(gl.notices())}`);
    assert.equal(records.length, 3, `messages: ${JSON.stringify(gl.notices())}`);
    await waitForState(gl, ['finished'], 60_000);
    const last = await gl.waitForRender((s) => s.state === 'finished' && s.ranks?.step === 3, 240_000);
    checkRanks(last.ranks);
    assert.equal(lastStep(gl), 3, 'every step is in the history');
    assert.match(gl.session.snapshot.run?.backend ?? '', /pytorch-ddp\(gloo, 2 ranks\)/);
  });

  test('live: the panel draws each step’s 2 ranks while the run goes on; Pause holds it between steps, Step runs one more, Stop ends every rank and keeps the history', async function () {
    this.timeout(900_000);
    const gl = await api();
    await resetSession();
    await config().update('pytorch.steps', 0, vscode.ConfigurationTarget.Workspace);
    // The digits example with many more epochs: the run must still be going when it is paused, however
    // fast the ranks step and however slowly a loaded machine draws (it is stopped long before its end).
    const long = vscode.Uri.joinPath(digitsUri(), '..', 'digits-long.gradlens.json');
    const text = readFileSync(digitsUri().fsPath, 'utf8');
    assert.match(text, /"epochs": 8\b/);
    writeFileSync(long.fsPath, text.replace(/"epochs": 8\b/, '"epochs": 400'));
    const done = vscode.commands.executeCommand(TRAIN_WITH_PYTORCH, long);
    // Live: two different steps drawn by the panel while the run is still running (all 200 steps:
    // the run outlasts however slowly a loaded machine draws).
    const first = await gl.waitForRender((s) => s.state === 'running' && !!s.ranks, 240_000);
    checkRanks(first.ranks);
    const later = await gl.waitForRender((s) => s.state === 'running' && !!s.ranks && s.ranks.step > first.ranks!.step, 240_000);
    checkRanks(later.ranks);
    assert.equal(later.ranks!.batchSize, 32);
    // The host's snapshot holds the same kind of ranks the panel drew.
    const host = gl.session.snapshot.ranks;
    assert.ok(host && host.step >= later.ranks!.step, 'the session snapshot has no ranks');
    assert.equal(host.ranks.length, 2);
    assert.equal(host.ranks[0].batchSize + host.ranks[1].batchSize, host.batchSize);
    await vscode.commands.executeCommand(Commands.pause);
    await waitForState(gl, ['paused'], 60_000);
    // Counted while held: every process of the run is alive.
    const processes = gradlensProcesses();
    assert.ok(processes.length >= 3, `expected the launcher and 2 ranks, found ${processes.length} gradlens processes`);
    const held = gl.session.snapshot.status.step;
    assert.equal(lastStep(gl), held, 'the run holds after the last step it reported');
    await vscode.commands.executeCommand(Commands.step);
    await waitFor(
      () => lastStep(gl) === held + 1 && gl.session.state === 'paused',
      60_000,
      `exactly one more step (${held + 1}) and paused again (now step ${lastStep(gl)}, ${gl.session.state})`,
    );
    const drawn = await gl.waitForRender((s) => s.state === 'paused' && s.ranks?.step === held + 1, 240_000);
    checkRanks(drawn.ranks);
    assert.equal(
      gl.notices().filter((n) => /cannot pause|cannot step/.test(JSON.stringify(n))).length,
      0,
      'Pause or Step was refused',
    );

    await vscode.commands.executeCommand(Commands.stop);
    await waitForState(gl, ['stopped'], 60_000);
    await done;
    rmSync(long.fsPath, { force: true });
    await waitFor(() => !processes.some(alive), 60_000, `the PyTorch processes ${processes.join(', ')} to end`);
    assert.equal(lastStep(gl), held + 1, 'the history was not kept as it was at Stop');
    const after = await gl.waitForRender((s) => s.state === 'stopped', 240_000);
    assert.ok(after.lastStep === held + 1 && after.ranks, 'the panel lost the stopped run');
    assert.equal(gradlensProcesses().length, 0, 'a PyTorch process outlived the stopped run');
    note(
      `drawn live at steps ${first.ranks!.step} and ${later.ranks!.step}; paused at step ${held}, stepped to ${held + 1}, stopped; ${processes.length} PyTorch processes ended`,
    );
  });
});
