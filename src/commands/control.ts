// Pause, Resume, Stop, Reset and Open Gradient Panel: thin wrappers over the session and the panel.

import type { CommandContext } from './context';
import { SLOW_STEPS_PER_SECOND } from '../config';

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

/** The panel's Slow button: a watchable pace (SLOW_STEPS_PER_SECOND) or full speed, through the setting. */
export function toggleSlow(ctx: CommandContext) {
  return async (): Promise<number> => {
    const next = ctx.config.settings.stepsPerSecond > 0 ? 0 : SLOW_STEPS_PER_SECOND;
    await ctx.config.setStepsPerSecond(next);
    // The setting's change event also sets it; this makes it take effect before the command returns.
    ctx.session.setPace(next);
    return next;
  };
}

export function openPanel(ctx: CommandContext) {
  return (): void => {
    ctx.panel.show(false);
  };
}
