// Pause, Resume, Stop, Reset and Open Gradient Panel: thin wrappers over the session and the panel.

import * as vscode from 'vscode';
import type { CommandContext } from './context';

function nothingToDo(what: string): void {
  void vscode.window.showInformationMessage(`Gradient Lens: nothing is training, so there is nothing to ${what}.`);
}

export function pause(ctx: CommandContext) {
  return (): void => {
    if (!ctx.session.isActive) return nothingToDo('pause');
    ctx.session.pause();
  };
}

export function resume(ctx: CommandContext) {
  return (): void => {
    if (!ctx.session.isActive) return nothingToDo('resume');
    ctx.session.resume();
  };
}

export function stop(ctx: CommandContext) {
  return async (): Promise<void> => {
    if (!ctx.session.isActive) return nothingToDo('stop');
    await ctx.session.stop();
  };
}

export function reset(ctx: CommandContext) {
  return async (): Promise<void> => {
    await ctx.session.reset();
  };
}

export function openPanel(ctx: CommandContext) {
  return (): void => {
    ctx.panel.show(false);
  };
}
