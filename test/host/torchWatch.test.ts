// A user's own PyTorch loop in the real extension host, the way a user runs it: "Open PyTorch
// Terminal", then `python3 train.py` typed into that terminal (the extension put GRADLENS_WATCH and
// the gradlens package into its environment). The script (examples/pytorch/train.py, Debian's
// torch) writes its own numbers, computed with torch directly; the panel's snapshot, the status bar
// text and what the webview drew are checked against those, never against the watcher's lines.

import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { statusBarView } from '../../src/editor/statusText';
import { formatValue } from '../../src/editor/format';
import { num } from '../../webview/format';
import { api, note, resetSession, waitFor, waitForState, workspaceRoot } from './helpers';

interface Own {
  batchSize: number;
  steps: { step: number; loss: number; gradNorm: Record<string, number> }[];
  perExample: Record<string, number[][]>;
  weightsBefore: Record<string, number[]>;
  weightsAfter: Record<string, number[]>;
}

const STEPS = 20;
const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

suite('gradlens.watch in the extension host', () => {
  test('python3 train.py in the PyTorch terminal: the panel shows its run with the script’s own losses, norms and per-example gradients', async function () {
    this.timeout(600_000);
    const gl = await api();
    await resetSession();
    const out = path.join(os.tmpdir(), `gradlens-watch-own-${process.pid}.json`);
    rmSync(out, { force: true });
    const address = await vscode.commands.executeCommand<string | undefined>('gradientLens.openPyTorchTerminal');
    assert.match(address ?? '', /^unix:/, `no listener: ${JSON.stringify(gl.notices())}`);
    const terminal = vscode.window.terminals.filter((t) => t.name === 'Gradient Lens: PyTorch').at(-1);
    assert.ok(terminal, 'no PyTorch terminal');
    const script = path.join(workspaceRoot().fsPath, 'pytorch', 'train.py');
    terminal.sendText(`/usr/bin/python3 '${script}' --steps ${STEPS} --out '${out}'`);
    try {
      await waitForState(gl, ['finished', 'failed'], 300_000);
      assert.equal(
        gl.session.state,
        'finished',
        `the watch run ended ${gl.session.state}: ${gl.session.snapshot.status.message}`,
      );
      await waitFor(() => existsSync(out), 120_000, `the script's own numbers in ${out}`);
      const own = JSON.parse(readFileSync(out, 'utf8')) as Own;
      const s = gl.session.snapshot;

      // Named as a run of that script, in the snapshot and in the status bar's text.
      assert.equal(s.run?.file, 'PyTorch script train.py');
      const bar = statusBarView(s, false);
      assert.match(bar.text, new RegExp(`done · step ${STEPS} · loss ${formatValue(own.steps[STEPS - 1].loss)}`));
      assert.match(bar.tooltip, /training of PyTorch script train\.py finished/);

      // The host's history: every step's loss and per-layer ‖grad‖ as the script computed them.
      assert.deepEqual(
        s.history.map((p) => p.step),
        own.steps.map((x) => x.step),
      );
      let worstLoss = 0,
        worstNorm = 0;
      for (const [i, p] of s.history.entries()) {
        worstLoss = Math.max(worstLoss, rel(p.loss, own.steps[i].loss));
        for (const [j, name] of ['fc1', 'fc2'].entries())
          worstNorm = Math.max(worstNorm, rel(p.layers[j].gradNorm, own.steps[i].gradNorm[name]));
      }
      assert.ok(worstLoss < 1e-6 && worstNorm < 1e-6, `loss off by ${worstLoss}, ‖G‖ by ${worstNorm}`);

      // What the webview drew: the last loss point, each layer's last ‖G‖, the 16 bars and the formula.
      const r = await gl.waitForRender(
        (x) => x.state === 'finished' && x.lastStep === STEPS && x.perExampleBars === 16 && !!x.drawn?.perExample,
        240_000,
      );
      const drawn = r.drawn!;
      const last = own.steps[STEPS - 1];
      assert.equal(drawn.loss?.step, STEPS);
      assert.ok(rel(drawn.loss!.value, last.loss) < 1e-6, `drawn loss ${drawn.loss!.value} vs the script's ${last.loss}`);
      assert.deepEqual(
        drawn.gradNorms.map((g) => [g.label, g.step]),
        [
          ['layers[0] Linear', STEPS],
          ['layers[1] Linear', STEPS],
        ],
      );
      for (const [j, name] of ['fc1', 'fc2'].entries())
        assert.ok(rel(drawn.gradNorms[j].value, last.gradNorm[name]) < 1e-6, `${name}: drawn ‖G‖ vs the script's`);
      const d = s.detail!.perExample!;
      const entry = `${['fc1', 'fc2'][d.selection.layer]}.weight`;
      const ownG = own.perExample[entry].map((g) => g[d.selection.index]);
      const worstBar = Math.max(
        ...drawn.perExample!.values.map((v, i) => Math.abs(v - ownG[i]) / Math.max(...ownG.map(Math.abs))),
      );
      assert.equal(drawn.perExample!.values.length, 16);
      assert.ok(worstBar < 1e-4, `a drawn bar is off the script's own gᵢ by ${worstBar} (of the largest)`);
      const mean = ownG.reduce((a, b) => a + b, 0) / 16;
      assert.ok(Math.abs(drawn.perExample!.mean - mean) <= 1e-4 * Math.max(...ownG.map(Math.abs)), 'the drawn mean');
      // The formula: G with the script's mean, momentum SGD's terms, and the θ the script saw after its step.
      const f = drawn.perExample!.formula;
      assert.ok(f.includes(`G = (1/16) · (`), f);
      assert.ok(f.includes(`= ${num(mean, 4)}`), `${num(mean, 4)} not in ${f}`);
      assert.ok(f.includes('SGD with momentum μ = 0.900'), f);
      const after = own.weightsAfter[entry][d.selection.index];
      const before = own.weightsBefore[entry][d.selection.index];
      assert.ok(
        f.includes(`${num(after, 5)} ← ${num(before, 5)} − 0.0500 · `),
        `θ ${num(before, 5)} → ${num(after, 5)} not in ${f}`,
      );
      assert.match(drawn.perExample!.note, /times M = 16 because the loss is a mean over the batch/);
      note(
        `script vs panel: loss at step ${STEPS} ${last.loss.toFixed(6)} vs ${drawn.loss!.value.toFixed(6)} (worst over ${STEPS} steps ${worstLoss.toExponential(1)} relative); ‖G‖ worst ${worstNorm.toExponential(1)}; ${d.paramName}: 16 bars within ${worstBar.toExponential(1)} of the script's per-example ∇Lᵢ, θ ${num(before, 5)} → ${num(after, 5)}`,
      );
    } finally {
      terminal.dispose();
      rmSync(out, { force: true });
    }
  });
});
