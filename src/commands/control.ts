// Pause, Resume, Stop, Reset and Open Gradient Panel: thin wrappers over the session and the panel.

import type { CommandContext } from './context';

function nothingToDo(ctx: CommandContext, what: string): void {
  void ctx.notify.show('info', `nothing is training, so there is nothing to ${what}.`);
}

export function pause(ctx: CommandContext) {
  return (): void => {
    if (!ctx.session.isActive) return nothingToDo(ctx, 'pause');
    ctx.session.pause();
  };
}

export function resume(ctx: CommandContext) {
  return (): void => {
    if (!ctx.session.isActive) return nothingToDo(ctx, 'resume');
    ctx.session.resume();
  };
}

export function stop(ctx: CommandContext) {
  return async (): Promise<void> => {
    if (!ctx.session.isActive) return nothingToDo(ctx, 'stop');
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
