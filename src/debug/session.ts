// The Gradient Lens debug adapter: one DebugSession that VS Code runs inline
// (DebugAdapterInlineImplementation) and `gradient-lens dap` runs over stdio for any DAP client.
// It trains a model file with the engine's phased step; breakpoints sit on the model file's lines.

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  DebugSession,
  Event,
  InitializedEvent,
  OutputEvent,
  StoppedEvent,
  TerminatedEvent,
  BreakpointEvent,
  Thread,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { parseModel } from '../model';
import type { PhasePoint } from '../engine/trainer';
import { describeKind, evaluate, ExprError, FUNCTIONS, parseExpression, formatNumber } from './expr';
import {
  compileBreakpoint,
  checkExceptions,
  evaluateBreakpoints,
  EXCEPTION_FILTERS,
  type CompiledBreakpoint,
  type HealthThresholds,
} from './breakpoints';
import { KNOWN_NAMES, StopView } from './frame';
import { loadRun, LaunchError, type LoadedRun } from './load';
import { modelLines, type ModelLines } from './lines';
import { DebugRun, type Halt } from './run';
import { frames, scopesFor, toStackFrame } from './stack';
import { VariableStore } from './variables';

export const MODEL_SUFFIX = '.gradlens.json';
const THREAD = 1;

type FileBreakpoint = CompiledBreakpoint & { file: string };

export interface LaunchArguments extends DebugProtocol.LaunchRequestArguments {
  /** The model file to train. */
  model: string;
  stopOnEntry?: boolean;
  epochs?: number;
  batchSize?: number;
  /** The folder data paths must stay inside (default: the current folder for `gradient-lens dap`, like the CLI). */
  workspace?: string;
  explodingGradNorm?: number;
  vanishingGradNorm?: number;
  deadReluFraction?: number;
  /** Use the WASM SIMD kernels for float32 (default true). */
  wasm?: boolean;
}

/** The defaults of the gradientLens.health.* settings. */
export const DEFAULT_THRESHOLDS: HealthThresholds = { explodingGradNorm: 100, vanishingGradNorm: 1e-6, deadReluFraction: 0.5 };

export interface SessionOptions {
  /** Folder of the built-in digits (the package's media/). */
  mediaDir: string;
  /** The folder data paths must stay inside when the launch names none (default: the model's folder). */
  defaultWorkspace?: (model: string) => string;
}

export class GradientLensDebugSession extends DebugSession {
  private run: DebugRun | null = null;
  private loaded: LoadedRun | null = null;
  private lines: ModelLines | null = null;
  private launchArgs: LaunchArguments | null = null;
  private view: StopView | null = null;
  private readonly store = new VariableStore();
  private stepScopeRef = 0;
  /** Breakpoint requests per source path (kept to recompile on restart). */
  private readonly requests = new Map<string, DebugProtocol.SourceBreakpoint[]>();
  private breakpoints: FileBreakpoint[] = [];
  private nextBreakpointId = 1;
  private filters = new Set<string>(EXCEPTION_FILTERS.filter((f) => f.default).map((f) => f.filter));
  private thresholds: HealthThresholds = DEFAULT_THRESHOLDS;
  private exception: { filter: string; text: string; step: number } | null = null;
  private configured!: Promise<void>;
  private configurationDone: () => void = () => {};

  constructor(private readonly options: SessionOptions) {
    super();
    this.configured = new Promise((resolve) => {
      this.configurationDone = resolve;
    });
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsEvaluateForHovers: true,
      supportsSetVariable: true,
      supportsRestartRequest: true,
      supportsTerminateRequest: true,
      supportsExceptionInfoRequest: true,
      supportsCompletionsRequest: true,
      exceptionBreakpointFilters: EXCEPTION_FILTERS.map((f) => ({
        filter: f.filter,
        label: f.label,
        description: f.description,
        default: f.default,
      })),
    };
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.configurationDone();
    this.sendResponse(response);
  }

  protected override launchRequest(response: DebugProtocol.LaunchResponse, args: LaunchArguments): void {
    void this.launch(response, args);
  }

  /** Every failure ends in an error response, so the caller can leave the promise alone. */
  private async launch(response: DebugProtocol.LaunchResponse, args: LaunchArguments): Promise<void> {
    this.launchArgs = args;
    this.thresholds = {
      explodingGradNorm: args.explodingGradNorm ?? DEFAULT_THRESHOLDS.explodingGradNorm,
      vanishingGradNorm: args.vanishingGradNorm ?? DEFAULT_THRESHOLDS.vanishingGradNorm,
      deadReluFraction: args.deadReluFraction ?? DEFAULT_THRESHOLDS.deadReluFraction,
    };
    await this.configured;
    try {
      await this.startRun(args);
      this.sendResponse(response);
    } catch (e) {
      this.sendErrorResponse(response, { id: 1, format: userMessage(e), showUser: true });
      this.sendEvent(new TerminatedEvent());
    }
  }

  private async startRun(args: LaunchArguments): Promise<void> {
    if (typeof args.model !== 'string' || args.model === '')
      throw new LaunchError('The launch configuration needs "model": the path of a *.gradlens.json file.');
    const model = path.resolve(args.model);
    this.loaded = await loadRun({
      model,
      workspace: args.workspace ?? this.options.defaultWorkspace?.(model) ?? path.dirname(model),
      mediaDir: this.options.mediaDir,
      wasm: args.wasm ?? true,
      overrides: { epochs: args.epochs, batchSize: args.batchSize },
    });
    for (const w of this.loaded.warnings) this.output(`${w}\n`, 'console');
    this.lines = modelLines(this.loaded.text, this.loaded.parsed);
    this.recompileBreakpoints();
    const run = new DebugRun(this.loaded, {
      decide: (p) => this.decide(p),
      halted: (h) => this.halted(h),
      event: (e) => {
        // For views that follow the run (the panel): the contract's records, as custom events.
        if (e.type === 'step' || e.type === 'epoch' || e.type === 'halted')
          this.sendEvent(new Event(`gradientLens/${e.type}`, e));
        if (e.type === 'epoch') {
          const v =
            e.epoch.validationLoss === null
              ? ''
              : `, validation loss ${formatNumber(e.epoch.validationLoss)} (accuracy ${formatNumber(e.epoch.validationAccuracy!)})`;
          this.output(
            `epoch ${e.epoch.epoch}: train loss ${formatNumber(e.epoch.trainLoss)} (accuracy ${formatNumber(e.epoch.trainAccuracy)})${v}\n`,
            'console',
          );
        } else if (e.type === 'finished') {
          this.output(`Training finished: ${run.trainer.step} steps.\n`, 'console');
          this.sendEvent(new TerminatedEvent());
        } else if (e.type === 'failed') {
          this.output(`Training stopped: ${e.error.message}\n`, 'stderr');
          this.sendEvent(new TerminatedEvent());
        }
      },
    });
    this.run = run;
    const s = this.loaded.spec;
    this.output(
      `Training ${path.basename(model)}: ${s.epochs} epochs of ${run.trainer.stepsPerEpoch} steps, batch ${s.batchSize}, ${run.trainer.backendName}.\n`,
      'console',
    );
    run.start(args.stopOnEntry ?? false);
  }

  private output(text: string, category: 'console' | 'stderr' | 'stdout'): void {
    this.sendEvent(new OutputEvent(text, category));
  }

  // ---- breakpoints ------------------------------------------------------------------------------

  protected override setBreakPointsRequest(
    response: DebugProtocol.SetBreakpointsResponse,
    args: DebugProtocol.SetBreakpointsArguments,
  ): void {
    const file = args.source.path ? path.resolve(this.convertClientPathToDebugger(args.source.path)) : '';
    const reqs = (args.breakpoints ?? []).map((b) => ({ ...b, line: this.convertClientLineToDebugger(b.line) }));
    this.requests.set(file, reqs);
    const compiled = this.compileFor(file, reqs);
    this.breakpoints = [...this.breakpoints.filter((b) => b.file !== file), ...compiled.bps];
    response.body = { breakpoints: compiled.bps.map((b) => this.toProtocol(b)) };
    this.sendResponse(response);
  }

  /** Compiles one file's breakpoints; `ids` keeps the ids the client already knows (on recompiling). */
  private compileFor(
    file: string,
    reqs: DebugProtocol.SourceBreakpoint[],
    ids?: number[],
  ): { file: string; bps: FileBreakpoint[] } {
    const id = (i: number): number => ids?.[i] ?? this.nextBreakpointId++;
    const refuse = (message: string): FileBreakpoint[] =>
      reqs.map((r, i) => ({ id: id(i), line: r.line, verified: false, message, hits: 0, file }));
    if (!file.endsWith(MODEL_SUFFIX))
      return { file, bps: refuse(`Gradient Lens breakpoints go in model files (*${MODEL_SUFFIX}); this file is not one.`) };
    if (this.loaded && file !== this.loaded.file)
      return {
        file,
        bps: refuse(`This session trains ${path.basename(this.loaded.file)}; breakpoints in other model files do not apply.`),
      };
    let lines: ModelLines;
    if (this.loaded && file === this.loaded.file && this.lines) {
      lines = this.lines;
    } else {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        return { file, bps: refuse('The model file cannot be read.') };
      }
      lines = modelLines(text, parseModel(text));
    }
    return { file, bps: reqs.map((r, i) => ({ ...compileBreakpoint(id(i), r, lines), file })) };
  }

  /** After launch (or restart) the model file is known: recompile against it, keeping the ids. */
  private recompileBreakpoints(): void {
    const all: FileBreakpoint[] = [];
    for (const [file, reqs] of this.requests) {
      const old = this.breakpoints.filter((b) => b.file === file);
      const { bps } = this.compileFor(file, reqs, old.length === reqs.length ? old.map((b) => b.id) : undefined);
      all.push(...bps);
      for (const b of bps) {
        const before = old.find((o) => o.id === b.id);
        if (!before || before.verified !== b.verified || before.line !== b.line || before.message !== b.message) {
          this.sendEvent(new BreakpointEvent('changed', this.toProtocol(b)));
        }
      }
    }
    this.breakpoints = all;
  }

  private toProtocol(b: CompiledBreakpoint): DebugProtocol.Breakpoint {
    return { id: b.id, verified: b.verified, line: this.convertDebuggerLineToClient(b.line), message: b.message };
  }

  protected override setExceptionBreakPointsRequest(
    response: DebugProtocol.SetExceptionBreakpointsResponse,
    args: DebugProtocol.SetExceptionBreakpointsArguments,
  ): void {
    this.filters = new Set([...(args.filters ?? []), ...(args.filterOptions ?? []).map((o) => o.filterId)]);
    this.sendResponse(response);
  }

  /** Whether the run halts at this stop point: exception filters first, then breakpoints. */
  private decide(p: PhasePoint): Halt | null {
    const view = new StopView(this.run!);
    const exc = checkExceptions(this.filters, p, view, this.thresholds);
    if (exc && !(this.exception && this.exception.filter === exc.filter && this.exception.step === p.step)) {
      this.exception = { ...exc, step: p.step };
      return { reason: 'exception', description: exc.text, filter: exc.filter };
    }
    const active = this.loaded ? this.breakpoints.filter((b) => b.file === this.loaded!.file) : [];
    if (active.length === 0) return null;
    const r = evaluateBreakpoints(active, p, view);
    for (const line of r.logs) this.output(`${line}\n`, 'console');
    for (const line of r.errors) this.output(`${line}\n`, 'stderr');
    return r.stop.length ? { reason: 'breakpoint', breakpointIds: r.stop } : null;
  }

  private halted(h: Halt): void {
    this.store.reset();
    this.view = new StopView(this.run!);
    const e = new StoppedEvent(
      h.reason,
      THREAD,
      h.reason === 'exception' ? h.description : undefined,
    ) as DebugProtocol.StoppedEvent;
    if (h.description) e.body.description = h.description;
    if (h.breakpointIds) e.body.hitBreakpointIds = h.breakpointIds;
    this.sendEvent(e);
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    const x = this.exception;
    response.body = { exceptionId: x?.filter ?? 'none', description: x?.text ?? 'No exception.', breakMode: 'always' };
    this.sendResponse(response);
  }

  // ---- execution control -----------------------------------------------------------------------

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: [new Thread(THREAD, 'training')] };
    this.sendResponse(response);
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    response.body = { allThreadsContinued: true };
    this.sendResponse(response);
    this.moving(() => this.run?.resume());
  }

  protected override nextRequest(response: DebugProtocol.NextResponse): void {
    this.sendResponse(response);
    this.moving(() => this.run?.stepOver());
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse): void {
    this.sendResponse(response);
    this.moving(() => this.run?.stepIn());
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse): void {
    this.sendResponse(response);
    this.moving(() => this.run?.stepOut());
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.run?.pause();
    this.sendResponse(response);
  }

  private moving(f: () => void): void {
    this.view = null;
    this.store.reset();
    try {
      f();
    } catch (e) {
      this.output(`${userMessage(e)}\n`, 'stderr');
    }
  }

  protected override restartRequest(response: DebugProtocol.RestartResponse): void {
    void this.restart(response);
  }

  private async restart(response: DebugProtocol.RestartResponse): Promise<void> {
    this.run?.dispose();
    this.run = null;
    this.view = null;
    this.exception = null;
    this.store.reset();
    try {
      await this.startRun(this.launchArgs!);
      this.sendResponse(response);
    } catch (e) {
      this.sendErrorResponse(response, { id: 2, format: userMessage(e), showUser: true });
      this.sendEvent(new TerminatedEvent());
    }
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.run?.dispose();
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.run?.dispose();
    this.run = null;
    this.sendResponse(response);
  }

  // ---- inspection ------------------------------------------------------------------------------

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse): void {
    const list = this.run && this.lines && this.run.state === 'stopped' ? frames(this.run, this.lines) : [];
    response.body = {
      stackFrames: list.map((f) => toStackFrame(f, this.loaded!.file, (n) => this.convertDebuggerLineToClient(n))),
      totalFrames: list.length,
    };
    this.sendResponse(response);
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    if (!this.run || !this.view) {
      response.body = { scopes: [] };
      return this.sendResponse(response);
    }
    const { scopes, stepRef } = scopesFor(args.frameId, this.run, this.view, this.store);
    this.stepScopeRef = stepRef;
    response.body = { scopes };
    this.sendResponse(response);
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    try {
      response.body = { variables: this.store.children(args.variablesReference, args) };
      if (args.variablesReference === this.stepScopeRef) {
        for (const v of response.body.variables) if (v.name !== 'lr') v.presentationHint = { attributes: ['readOnly'] };
      }
      this.sendResponse(response);
    } catch (e) {
      this.sendErrorResponse(response, { id: 3, format: userMessage(e) });
    }
  }

  protected override setVariableRequest(
    response: DebugProtocol.SetVariableResponse,
    args: DebugProtocol.SetVariableArguments,
  ): void {
    if (!this.run || !this.view) return this.sendErrorResponse(response, { id: 4, format: 'The run is not stopped.' });
    if (args.name !== 'lr')
      return this.sendErrorResponse(response, {
        id: 4,
        format: `Only the learning rate "lr" can be changed while stopped; "${args.name}" is read-only.`,
      });
    try {
      const v = evaluate(parseExpression(args.value), this.view);
      if (typeof v !== 'number') throw new Error(`the learning rate must be a number, got ${describeKind(v)}`);
      this.run.trainer.setLearningRate(v);
      this.view = new StopView(this.run);
      this.output(`Learning rate set to ${formatNumber(v)} from the next update on.\n`, 'console');
      response.body = { value: formatNumber(v), type: 'number', variablesReference: 0 };
      this.sendResponse(response);
    } catch (e) {
      this.sendErrorResponse(response, { id: 4, format: userMessage(e) });
    }
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    if (!this.run || !this.view)
      return this.sendErrorResponse(response, { id: 5, format: 'Expressions are evaluated while the run is stopped.' });
    try {
      const value = evaluate(parseExpression(args.expression), this.view);
      const v = this.store.variable(args.expression, value, args.expression);
      response.body = {
        result: v.value,
        type: v.type,
        variablesReference: v.variablesReference,
        indexedVariables: v.indexedVariables,
        namedVariables: v.namedVariables,
      };
      this.sendResponse(response);
    } catch (e) {
      if (args.context === 'hover') return this.sendErrorResponse(response, { id: 6, format: userMessage(e), showUser: false });
      const message =
        e instanceof ExprError
          ? `${args.expression}\n${' '.repeat(e.offset)}${'^'.repeat(Math.max(1, Math.min(e.length, args.expression.length - e.offset)))}\n${e.describe()}`
          : userMessage(e);
      this.sendErrorResponse(response, {
        id: 6,
        format: message.replace(/[{}]/g, (c) => (c === '{' ? '{{' : '}}')),
        showUser: false,
      });
    }
  }

  protected override completionsRequest(
    response: DebugProtocol.CompletionsResponse,
    args: DebugProtocol.CompletionsArguments,
  ): void {
    const before = args.text.slice(0, args.column - 1);
    const word = /[A-Za-z_$][A-Za-z0-9_$]*$/.exec(before)?.[0] ?? '';
    const names = [...(this.view?.names() ?? KNOWN_NAMES), ...FUNCTIONS];
    response.body = {
      targets: names
        .filter((n) => n.startsWith(word))
        .map((n) => ({
          label: n,
          type: FUNCTIONS.includes(n) ? 'function' : 'variable',
          start: args.column - 1 - word.length,
          length: word.length,
        })),
    };
    this.sendResponse(response);
  }
}

function userMessage(e: unknown): string {
  if (e instanceof ExprError) return e.describe();
  return (e as Error)?.message ?? String(e);
}
