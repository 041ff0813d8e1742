// Registers every Gradient Lens command. The ids live in src/session/observable.ts (Commands), shared
// with package.json, the CodeLens, the status bar and the tests.

import * as vscode from 'vscode';
import { Commands } from '../session/observable';
import type { CommandContext } from './context';
import { gradientCheck } from './gradientCheck';
import { openPanel, pause, reset, resume, stop, toggleSlow } from './control';
import { step, train } from './train';
import { compareBatchSizes } from './compare';
import { stepThroughBatch } from './stepThrough';
import { repeatOneExample } from './repeatOneExample';
import { exportHistory, exportSnapshot, loadWeights, saveWeights } from './export';

export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  const table: Record<string, (...args: unknown[]) => unknown> = {
    [Commands.train]: train(ctx),
    [Commands.step]: step(ctx),
    [Commands.pause]: pause(ctx),
    [Commands.resume]: resume(ctx),
    [Commands.stop]: stop(ctx),
    [Commands.reset]: reset(ctx),
    [Commands.openPanel]: openPanel(ctx),
    [Commands.gradientCheck]: gradientCheck(ctx),
    [Commands.compareBatchSizes]: compareBatchSizes(ctx),
    [Commands.stepThroughBatch]: stepThroughBatch(ctx),
    [Commands.repeatOneExample]: repeatOneExample(ctx),
    [Commands.exportHistory]: exportHistory(ctx),
    [Commands.exportSnapshot]: exportSnapshot(ctx),
    [Commands.saveWeights]: saveWeights(ctx),
    [Commands.loadWeights]: loadWeights(ctx),
    [Commands.newModelFile]: () => ctx.newModelFile(),
    [Commands.toggleSlow]: toggleSlow(ctx),
  };
  return Object.entries(table).map(([id, handler]) => vscode.commands.registerCommand(id, handler));
}
