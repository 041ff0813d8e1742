// The PyTorch commands: Train with PyTorch (the model file on DDP ranks, from the engine's start),
// Compare Engine with PyTorch (both K steps, the largest relative difference per layer) and
// Open PyTorch Terminal (a terminal where `gradlens.watch(model, optimizer)` in a user's own
// script reports here) and Listen for PyTorch Scripts on the fallback port; each watched script
// is a run in the panel (watchPanel.ts). Train with PyTorch shows its run in the panel like any run source (loss,
// layer health, status bar) and logs each step with its ranks to the "Gradient Lens: PyTorch"
// output channel; the comparison only logs.

import * as vscode from 'vscode';
import { loadDataset } from '../data/load';
import { Trainer } from '../engine';
import type { StepStats } from '../engine/types';
import type { RankRecord, RunSource, SourceEvent, StepRecord } from '../run/source';
import { Commands } from '../session/observable';
import type { CommandContext } from '../commands/context';
import { pickPreparedModel } from '../commands/modelFile';
import { DEFAULT_PYTHON, pythonPackageDir, TorchSource } from './source';
import { compareRuns, formatComparison } from './compare';
import { WatchSessions } from './watchPanel';
import type { WatchListener } from './watchListener';

interface TorchSettings {
  python: string;
  ranks: number;
  steps: number;
  compareSteps: number;
  stallTimeout: number;
  perExample: string[];
}

/** The PyTorch settings, as src/config.ts reads every gradientLens.* setting. */
let settings: () => TorchSettings = () => {
  throw new Error('the PyTorch commands are not registered yet.');
};

/** The steps of the latest PyTorch run (kept when it fails), for views that come later. */
export const lastTorchRun: { file: string; records: StepRecord[] } = { file: '', records: [] };

export function registerTorch(ctx: CommandContext): vscode.Disposable[] {
  settings = () => {
    const { pythonPath, ...rest } = ctx.config.settings.pytorch;
    return { python: pythonPath || DEFAULT_PYTHON, ...rest };
  };
  const out = vscode.window.createOutputChannel('Gradient Lens: PyTorch');
  const watches = new WatchSessions(ctx, out, () => settings().perExample);
  const listen = async (open: () => Promise<WatchListener>): Promise<WatchListener | undefined> => {
    try {
      return await open();
    } catch (e) {
      void ctx.notify.show('error', e instanceof Error ? e.message : String(e));
      return undefined;
    }
  };
  return [
    out,
    watches,
    vscode.commands.registerCommand('gradientLens.trainWithPyTorch', async (arg?: unknown) => {
      const run = await load(ctx, arg);
      if (!run) return undefined;
      const s = settings();
      out.show(true);
      out.appendLine(
        `Train ${run.file} with PyTorch: ${s.ranks} rank${s.ranks === 1 ? '' : 's'}, from the engine's initial weights and batches`,
      );
      lastTorchRun.file = run.file;
      lastTorchRun.records = [];
      await vscode.commands.executeCommand(Commands.openPanel);
      const records = await runTorch(
        ctx,
        run,
        s,
        s.steps || undefined,
        (r) => {
          lastTorchRun.records.push(r);
          out.appendLine(stepLine(r));
        },
        out,
        true,
      );
      return records;
    }),
    vscode.commands.registerCommand('gradientLens.compareWithPyTorch', async (arg?: unknown) => {
      const run = await load(ctx, arg);
      if (!run) return undefined;
      const s = settings();
      const k = s.compareSteps;
      const trainer = new Trainer({ spec: run.spec, train: run.train, validation: run.validation });
      const engine: StepStats[] = [];
      for (let i = 0; i < k && !trainer.done(); i++) engine.push(trainer.trainStep());
      out.show(true);
      out.appendLine(
        `Compare the engine with PyTorch on ${run.file}: ${engine.length} steps, ${s.ranks} rank${s.ranks === 1 ? '' : 's'}`,
      );
      const torch = await runTorch(ctx, run, s, engine.length, () => {}, out);
      if (!torch || torch.length < engine.length) return undefined;
      const labels = new Map(run.trainer.layers.map((l) => [l.index, `${l.index}: ${l.label}`]));
      const comparison = compareRuns(engine, torch, labels);
      out.appendLine(formatComparison(comparison, s.ranks));
      void ctx.notify.show(
        comparison.worst < 1e-3 ? 'info' : 'warning',
        `Engine vs PyTorch on ${run.file}: the largest relative difference over ${comparison.steps} steps is ${comparison.worst.toExponential(1)} (details in the output "Gradient Lens: PyTorch").`,
      );
      return comparison;
    }),
    vscode.commands.registerCommand('gradientLens.openPyTorchTerminal', async () => {
      const listener = await listen(() => watches.socketListener());
      if (!listener) return undefined;
      const terminal = vscode.window.createTerminal({ name: 'Gradient Lens: PyTorch', env: listener.env(pythonPackageDir()) });
      terminal.show();
      out.appendLine(
        `Listening at ${listener.address}: in this terminal, scripts calling gradlens.watch(model, optimizer) report here.`,
      );
      return listener.address;
    }),
    vscode.commands.registerCommand('gradientLens.listenForPyTorchScripts', async () => {
      const listener = await listen(() => watches.portListener());
      if (!listener) return undefined;
      void ctx.notify.show(
        'info',
        `Listening at ${listener.address}: scripts calling gradlens.watch(model, optimizer) without GRADLENS_WATCH report here (put ${pythonPackageDir()} on their PYTHONPATH).`,
      );
      return listener.address;
    }),
  ];
}

interface LoadedRun {
  uri: vscode.Uri;
  file: string;
  spec: import('../model/spec').ModelSpec;
  train: import('../data/dataset').Dataset;
  validation: import('../data/dataset').Dataset | null;
  trainer: Trainer;
}

async function load(ctx: CommandContext, arg: unknown): Promise<LoadedRun | undefined> {
  const model = await pickPreparedModel(ctx, arg);
  if (!model) return undefined;
  try {
    const { train, validation } = await loadDataset(model.spec.data, {
      dataPath: model.dataPath,
      labelsPath: model.labelsPath,
      mediaDir: ctx.mediaDir,
      seed: model.spec.seed,
      workspaceRoot: model.workspaceRoot,
    });
    const trainer = new Trainer({ spec: model.spec, train, validation });
    return { uri: model.uri, file: model.file, spec: model.spec, train, validation, trainer };
  } catch (e) {
    void ctx.notify.show('error', `${model.file}: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

/** Runs PyTorch with progress and cancel; resolves with the steps it made (also when it failed). */
async function runTorch(
  ctx: CommandContext,
  run: LoadedRun,
  s: TorchSettings,
  maxSteps: number | undefined,
  onStep: (r: StepRecord) => void,
  out: vscode.OutputChannel,
  inPanel = false,
): Promise<StepRecord[] | undefined> {
  const total = Math.min(run.trainer.totalSteps, maxSteps ?? Infinity);
  const source = new TorchSource({
    file: run.file,
    spec: run.spec,
    train: run.train,
    validation: run.validation,
    weights: run.trainer.getWeights(),
    layers: run.trainer.layers,
    nproc: s.ranks,
    maxSteps,
    python: s.python,
    stallTimeoutSeconds: s.stallTimeout,
  });
  const records: StepRecord[] = [];
  let failure: string | null = null;
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `PyTorch: ${run.file}`, cancellable: true },
    async (progress, token) => {
      token.onCancellationRequested(() => void source.control({ type: 'stop' }));
      progress.report({ message: `starting ${s.ranks} rank${s.ranks === 1 ? '' : 's'}…` });
      const log = (ev: SourceEvent): void => {
        if (ev.type === 'loaded') out.appendLine(`on ${ev.run.backend}`);
        if (ev.type === 'step') {
          records.push(ev.record);
          onStep(ev.record);
          progress.report({
            message: `step ${ev.record.step}/${total}, loss ${ev.record.loss.toFixed(4)}`,
            increment: 100 / total,
          });
        }
        if (ev.type === 'epoch')
          out.appendLine(
            `epoch ${ev.epoch.epoch}: loss ${ev.epoch.trainLoss.toFixed(4)}, accuracy ${(ev.epoch.trainAccuracy * 100).toFixed(1)}%`,
          );
        if (ev.type === 'failed') failure = ev.error.message;
      };
      if (inPanel) {
        // The session's run owns the source from here (it disposes it when the next run starts);
        // its failure is this command's message, so the start's rejection is not shown twice.
        ctx.session.startSource(tee(source, log), run.uri, { paused: false, stepOnly: false }).catch(() => undefined);
      } else {
        await source.start(log);
      }
      await source.whenEnded();
    },
  );
  source.dispose();
  if (failure) {
    out.appendLine(`PyTorch run failed: ${failure}`);
    void ctx.notify.show(
      'error',
      `PyTorch run of ${run.file} failed after ${records.length} step${records.length === 1 ? '' : 's'}: ${failure}`,
    );
  } else {
    out.appendLine(`done: ${records.length} steps`);
  }
  return records;
}

/** One source, two listeners: the session's run (the views) and this command's log and progress. */
function tee(source: RunSource, also: (event: SourceEvent) => void): RunSource {
  return {
    capabilities: source.capabilities,
    start: (listener) =>
      source.start((event) => {
        listener(event);
        also(event);
      }),
    control: (control) => source.control(control),
    dispose: () => source.dispose(),
  };
}

function stepLine(r: StepRecord): string {
  const ranks = (r.ranks ?? []).map(
    (k: RankRecord) =>
      `r${k.rank} M=${k.batchSize} loss ${k.loss === null ? '—' : k.loss.toFixed(3)} cos ${Math.min(...k.layers.map((l) => l.cosineToMean)).toFixed(2)}`,
  );
  return `step ${r.step}  loss ${r.loss.toFixed(4)}  ‖G‖ ${r.layers.map((l) => l.gradNorm.toFixed(3)).join(' / ')}  ${ranks.join(' | ')}`;
}
