// The Gradient Lens debug adapter: one DebugSession that VS Code runs inline
// (DebugAdapterInlineImplementation) and `gradient-lens dap` runs over stdio for any DAP client.
// It trains a model file with the engine's phased step; breakpoints sit on the model file's lines.

import * as path from 'node:path';
import {
  ContinuedEvent,
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
import type { RunControl } from '../run/source';
import { formatNumber } from './expr';
import { consoleLine, FOLLOWED, NOT_FOLLOWED, thresholdsOf, trainingLine, type LaunchArguments } from './launch';
import { EXCEPTION_FILTERS, type CompiledBreakpoint } from './breakpoints';
import { BreakpointBook, MODEL_SUFFIX } from './breakpointBook';
import { StopView } from './frame';
import { FollowedRun } from './follow';
import { completions, evaluateFor, frameScope, setLearningRate, userMessage } from './inspect';
import { parseEngineThreads } from '../engine-host/setting';
import { loadRun, LaunchError, type LoadedRun } from './load';
import { modelLines, type ModelLines } from './lines';
import { DebugRun, type Halt } from './run';
import { frames, scopesFor, toStackFrame } from './stack';
import { VariableStore } from './variables';

export { MODEL_SUFFIX, type LaunchArguments };
const THREAD = 1;

export interface SessionOptions {
  /** Folder of the built-in digits (the package's media/). */
  mediaDir: string;
  /** The folder data paths must stay inside when the launch names none (default: the model's folder). */
  defaultWorkspace?: (model: string) => string;
  /**
   * Hands each run this session trains (launch, restart) to a view that follows it (the panel);
   * returns whether it does, for the Debug Console.
   */
  follow?: (source: FollowedRun, model: string) => boolean;
}

export class GradientLensDebugSession extends DebugSession {
  private run: DebugRun | null = null;
  private loaded: LoadedRun | null = null;
  private lines: ModelLines | null = null;
  private launchArgs: LaunchArguments | null = null;
  private view: StopView | null = null;
  private readonly store = new VariableStore();
  private stepScopeRef = 0;
  private readonly book = new BreakpointBook(thresholdsOf({}));
  /** The run as the panel follows it (null when nothing follows). */
  private followed: FollowedRun | null = null;
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
    this.book.thresholds = thresholdsOf(args);
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
      threads: parseEngineThreads(args.engineThreads) ?? 'auto',
      overrides: { epochs: args.epochs, batchSize: args.batchSize },
    });
    for (const w of this.loaded.warnings) this.output(`${w}\n`, 'console');
    this.lines = modelLines(this.loaded.text, this.loaded.parsed);
    for (const b of this.book.recompile({ file: this.loaded.file, lines: this.lines }))
      this.sendEvent(new BreakpointEvent('changed', this.toProtocol(b)));
    const run = new DebugRun(this.loaded, {
      decide: (p) => {
        const r = this.book.decide(p, this.run!, this.loaded!.file);
        for (const line of r.logs) this.output(`${line}\n`, 'console');
        for (const line of r.errors) this.output(`${line}\n`, 'stderr');
        return r.halt;
      },
      halted: (h) => this.halted(h),
      event: (e) => {
        // For views that follow the run: the contract's records, as custom events (any DAP client)
        // and, in VS Code, to the panel.
        if (e.type === 'step' || e.type === 'epoch' || e.type === 'halted')
          this.sendEvent(new Event(`gradientLens/${e.type}`, e));
        this.followed?.event(e);
        const said = consoleLine(e, run.trainer.step);
        if (said) this.output(said.text, said.category);
        if (e.type === 'finished' || e.type === 'failed') this.sendEvent(new TerminatedEvent());
      },
    });
    this.followed = null;
    if (this.options.follow) {
      const followed = new FollowedRun(run, model, (c) => this.fromPanel(c));
      this.followed = followed;
      const shown = this.options.follow(followed, model);
      if (!shown) this.followed = null;
      this.output(shown ? FOLLOWED : NOT_FOLLOWED, 'console');
    }
    this.run = run;
    this.output(trainingLine(model, this.loaded.spec, run.trainer), 'console');
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
    const model = this.loaded && this.lines ? { file: this.loaded.file, lines: this.lines } : null;
    response.body = { breakpoints: this.book.set(file, reqs, model).map((b) => this.toProtocol(b)) };
    this.sendResponse(response);
  }

  private toProtocol(b: CompiledBreakpoint): DebugProtocol.Breakpoint {
    return { id: b.id, verified: b.verified, line: this.convertDebuggerLineToClient(b.line), message: b.message };
  }

  protected override setExceptionBreakPointsRequest(
    response: DebugProtocol.SetExceptionBreakpointsResponse,
    args: DebugProtocol.SetExceptionBreakpointsArguments,
  ): void {
    this.book.setFilters([...(args.filters ?? []), ...(args.filterOptions ?? []).map((o) => o.filterId)]);
    this.sendResponse(response);
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
    const x = this.book.exception;
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
    this.stepping(response, () => this.run?.stepOver());
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse): void {
    this.stepping(response, () => this.run?.stepIn());
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse): void {
    this.stepping(response, () => this.run?.stepOut());
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.run?.pause();
    this.sendResponse(response);
  }

  private stepping(response: DebugProtocol.Response, step: () => void): void {
    this.sendResponse(response);
    this.moving(step);
  }

  /** The panel's controls: carried out here, and told to the client, which did not ask for them. */
  private fromPanel(c: RunControl): void {
    if (!this.run) return;
    if (c.type === 'pause') return this.run.pause();
    if (c.type === 'stop') {
      this.run.dispose();
      this.sendEvent(new TerminatedEvent());
      return;
    }
    if (this.run.state !== 'stopped' || c.type === 'restart') return;
    this.sendEvent(new ContinuedEvent(THREAD, true));
    this.moving(c.type === 'step' ? () => this.run?.stepOver() : () => this.run?.resume());
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
    this.book.exception = null;
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
    this.endFollowing();
    this.run?.dispose();
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.endFollowing();
    this.run?.dispose();
    this.run = null;
    this.sendResponse(response);
  }

  /** The panel hears that the session ended (unless training had finished). */
  private endFollowing(): void {
    const run = this.run;
    if (run && run.state !== 'finished' && run.state !== 'disposed')
      this.followed?.event({ type: 'stopped', progress: run.progress() });
    this.followed = null;
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
    try {
      const v = setLearningRate(this.run, this.view, args.name, args.value);
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
      response.body = evaluateFor(args, frameScope(this.run, this.view, args.frameId), this.store);
      this.sendResponse(response);
    } catch (e) {
      this.sendErrorResponse(response, { id: 6, format: (e as Error).message, showUser: false });
    }
  }

  protected override completionsRequest(
    response: DebugProtocol.CompletionsResponse,
    args: DebugProtocol.CompletionsArguments,
  ): void {
    const scope = this.run && this.view ? frameScope(this.run, this.view, args.frameId) : null;
    response.body = { targets: completions(args, scope) };
    this.sendResponse(response);
  }
}
