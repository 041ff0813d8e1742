// Export History (CSV or JSON), Export Batch Snapshot (the CLI's `snapshot` JSON), Save Weights and
// Load Weights. Each asks where with a file dialog; a caller (a test) may pass the file as the
// second argument instead. The formats are src/export/ (pure, unit-tested there).

import * as vscode from 'vscode';
import * as path from 'node:path';
import { writeFileAtomic } from '../export/atomicWrite';
import { readDataFile } from '../data/safeOpen';
import { historyToCsv, historyToJson, parseWeightsJson, weightsToJson } from '../export';
import { runJobWorker } from '../session/oneShotWorker';
import type { CommandContext } from './context';
import { pickPreparedModel } from './modelFile';
import { jobWorker, modelSource, withCancellableProgress } from './oneShot';
import { ensureRun } from './stepThrough';

const JSON_FILTER = { JSON: ['json'] };
/** Saved weights are JSON numbers, ~20 bytes each: this allows ~50 M parameters. */
const MAX_WEIGHTS_FILE_BYTES = 1 << 30;

/** The file to write: the caller's, else one the user picks next to the model file. */
async function targetUri(
  ctx: CommandContext,
  given: unknown,
  defaultName: string,
  filters: Record<string, string[]>,
  title: string,
): Promise<vscode.Uri | undefined> {
  if (given instanceof vscode.Uri) return given;
  const folder = ctx.session.modelUri
    ? vscode.Uri.file(path.dirname(ctx.session.modelUri.fsPath))
    : vscode.workspace.workspaceFolders?.[0]?.uri;
  return vscode.window.showSaveDialog({
    title,
    filters,
    defaultUri: folder ? vscode.Uri.joinPath(folder, defaultName) : undefined,
  });
}

async function write(ctx: CommandContext, uri: vscode.Uri, text: string, what: string): Promise<boolean> {
  try {
    // Local files are replaced atomically (temp file, fsync, rename): a crash never leaves half a file.
    if (uri.scheme === 'file') await writeFileAtomic(uri.fsPath, text);
    else await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
  } catch (e) {
    void ctx.notify.show('error', `cannot write the ${what} to ${uri.fsPath}: ${e instanceof Error ? e.message : String(e)}`);
    return false;
  }
  void ctx.notify.show('info', `${what} written to ${vscode.workspace.asRelativePath(uri)}.`);
  return true;
}

function modelName(ctx: CommandContext): string {
  return ctx.session.snapshot.run?.spec.name ?? 'model';
}

/** Every kept StepPoint and EpochStats: CSV when the file ends in .csv, else JSON. */
export function exportHistory(ctx: CommandContext) {
  return async (_arg?: unknown, file?: unknown): Promise<vscode.Uri | undefined> => {
    const { history, epochs } = ctx.session.snapshot;
    if (history.length === 0 && epochs.length === 0) {
      void ctx.notify.show('info', 'there is no training history to export yet: train first.');
      return undefined;
    }
    const uri = await targetUri(
      ctx,
      file,
      `${modelName(ctx)}-history.csv`,
      { CSV: ['csv'], ...JSON_FILTER },
      'Export training history',
    );
    if (!uri) return undefined;
    const text = uri.path.toLowerCase().endsWith('.csv')
      ? historyToCsv(history, epochs)
      : historyToJson({ model: modelName(ctx), history, epochs });
    return (await write(ctx, uri, text, `training history (${history.length} steps, ${epochs.length} epochs)`)) ? uri : undefined;
  };
}

/** The first batch at the initial weights with every per-example gradient: what `gradient-lens snapshot` prints. */
export function exportSnapshot(ctx: CommandContext) {
  return async (arg?: unknown, file?: unknown): Promise<vscode.Uri | undefined> => {
    const model = await pickPreparedModel(ctx, arg);
    if (!model) return undefined;
    const snapshot = await withCancellableProgress(
      ctx,
      `Gradient Lens: taking the batch snapshot of ${model.file}…`,
      (_progress, token) =>
        runJobWorker(
          jobWorker(ctx),
          { type: 'batchSnapshot', ...modelSource(ctx, model), useWasm: ctx.config.settings.useWasm },
          token,
        ).then((a) => a.snapshot),
    );
    if (!snapshot) return undefined;
    const uri = await targetUri(ctx, file, `${model.spec.name}-snapshot.json`, JSON_FILTER, 'Export batch snapshot');
    if (!uri) return undefined;
    return (await write(ctx, uri, JSON.stringify(snapshot), 'batch snapshot')) ? uri : undefined;
  };
}

export function saveWeights(ctx: CommandContext) {
  return async (_arg?: unknown, file?: unknown): Promise<vscode.Uri | undefined> => {
    let tensors;
    try {
      tensors = await ctx.session.weights();
    } catch (e) {
      void ctx.notify.show('error', `cannot save weights: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
    const uri = await targetUri(ctx, file, `${modelName(ctx)}-weights.json`, JSON_FILTER, 'Save weights');
    if (!uri) return undefined;
    const step = ctx.session.snapshot.status.step;
    return (await write(ctx, uri, weightsToJson({ model: modelName(ctx), tensors }), `weights at step ${step}`))
      ? uri
      : undefined;
  };
}

/** Loads saved weights into the current run (pausing it first), or into the model file's run started paused. */
export function loadWeights(ctx: CommandContext) {
  return async (arg?: unknown, file?: unknown): Promise<boolean> => {
    let uri: vscode.Uri | undefined = file instanceof vscode.Uri ? file : undefined;
    if (!uri) {
      const picked = await vscode.window.showOpenDialog({ title: 'Load weights', filters: JSON_FILTER, canSelectMany: false });
      uri = picked?.[0];
    }
    if (!uri) return false;
    if (!(await ensureRun(ctx, arg))) return false;
    if (ctx.session.state === 'running') ctx.session.pause();
    const name = vscode.workspace.asRelativePath(uri);
    try {
      // A local file is opened and checked first: a FIFO or a device picked here is refused, never waited on.
      const bytes =
        uri.scheme === 'file'
          ? await readDataFile(uri.fsPath, '', MAX_WEIGHTS_FILE_BYTES, {}, 'weights file')
          : await vscode.workspace.fs.readFile(uri);
      const text = Buffer.from(bytes).toString('utf8');
      const current = await ctx.session.weights();
      const saved = parseWeightsJson(text, current);
      await ctx.session.setWeights(saved.tensors);
    } catch (e) {
      void ctx.notify.show('error', `${name}: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
    void ctx.notify.show(
      'info',
      `weights loaded from ${name}; Resume or Step trains on from them (the optimizer's momentum is kept as it was).`,
    );
    return true;
  };
}
