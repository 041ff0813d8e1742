// What the debug session answers about a stopped run: expressions (Debug Console, watches, hovers)
// in the scope of the frame they are asked in, completions, and the one editable value (lr).

import type { DebugProtocol } from '@vscode/debugprotocol';
import { describeKind, evaluate, ExprError, FUNCTIONS, parseExpression, type Scope } from './expr';
import { KNOWN_NAMES, type StopView } from './frame';
import type { DebugRun } from './run';
import { exampleOfFrame } from './stack';
import type { VariableStore } from './variables';

/** The names an expression sees in a frame: an example's own values in its frame, else the stop's. */
export function frameScope(run: DebugRun, view: StopView, frameId: number | undefined): Scope {
  const ex = run.example;
  const i = frameId === undefined ? null : exampleOfFrame(run, frameId);
  return ex && i !== null ? ex.examples.scope(i, ex.replay.selection.layer, view) : view;
}

export function userMessage(e: unknown): string {
  if (e instanceof ExprError) return e.describe();
  return (e as Error)?.message ?? String(e);
}

/** Evaluates for the Debug Console, a watch or a hover; throws a message fit for the client (positioned). */
export function evaluateFor(
  args: DebugProtocol.EvaluateArguments,
  scope: Scope,
  store: VariableStore,
): DebugProtocol.EvaluateResponse['body'] {
  try {
    const value = evaluate(parseExpression(args.expression), scope);
    const v = store.variable(args.expression, value, args.expression);
    return {
      result: v.value,
      type: v.type,
      variablesReference: v.variablesReference,
      indexedVariables: v.indexedVariables,
      namedVariables: v.namedVariables,
    };
  } catch (e) {
    const message =
      e instanceof ExprError && args.context !== 'hover'
        ? `${args.expression}\n${' '.repeat(e.offset)}${'^'.repeat(Math.max(1, Math.min(e.length, args.expression.length - e.offset)))}\n${e.describe()}`
        : userMessage(e);
    // The DAP message is a format string: braces are literal here.
    throw new Error(
      message.replace(/[{}]/g, (c) => (c === '{' ? '{{' : '}}')),
      { cause: e },
    );
  }
}

/** Sets the learning rate from the next update on; returns its new value. */
export function setLearningRate(run: DebugRun, view: StopView, name: string, value: string): number {
  if (name !== 'lr') throw new Error(`Only the learning rate "lr" can be changed while stopped; "${name}" is read-only.`);
  const v = evaluate(parseExpression(value), view);
  if (typeof v !== 'number') throw new Error(`the learning rate must be a number, got ${describeKind(v)}`);
  run.trainer.setLearningRate(v);
  return v;
}

export function completions(args: DebugProtocol.CompletionsArguments, scope: Scope | null): DebugProtocol.CompletionItem[] {
  const before = args.text.slice(0, args.column - 1);
  const word = /[A-Za-z_$][A-Za-z0-9_$]*$/.exec(before)?.[0] ?? '';
  const names = [...(scope?.names() ?? KNOWN_NAMES), ...FUNCTIONS];
  return [...new Set(names)]
    .filter((n) => n.startsWith(word))
    .map((n) => ({
      label: n,
      type: FUNCTIONS.includes(n) ? 'function' : 'variable',
      start: args.column - 1 - word.length,
      length: word.length,
    }));
}
