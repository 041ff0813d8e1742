// The debug session's breakpoints: what the client asked for per file (kept, to recompile once the
// launched model file is known and on restart), their compiled form, the exception filters with
// their thresholds, and the one question the run asks at every stop point: halt here or go on?

import { readModelFileSync } from '../data/safeOpen';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { parseModel } from '../model';
import type { PhasePoint } from '../engine/trainer';
import {
  compileBreakpoint,
  checkExceptions,
  evaluateBreakpoints,
  EXCEPTION_FILTERS,
  type CompiledBreakpoint,
  type HealthThresholds,
} from './breakpoints';
import { StopView } from './frame';
import { modelLines, type ModelLines } from './lines';
import type { DebugRun, Halt } from './run';

export const MODEL_SUFFIX = '.gradlens.json';

export type FileBreakpoint = CompiledBreakpoint & { file: string };

/** The launched model file, once known. */
export interface LaunchedModel {
  file: string;
  lines: ModelLines;
}

export class BreakpointBook {
  /** Breakpoint requests per source path (lines already the debugger's). */
  private readonly requests = new Map<string, DebugProtocol.SourceBreakpoint[]>();
  private breakpoints: FileBreakpoint[] = [];
  private nextId = 1;
  private filters = new Set<string>(EXCEPTION_FILTERS.filter((f) => f.default).map((f) => f.filter));
  /** The last exception stop, so one exception halts once per step and filter. */
  exception: { filter: string; text: string; step: number } | null = null;

  constructor(public thresholds: HealthThresholds) {}

  /** A setBreakpoints request for one file: replaces that file's breakpoints. */
  set(file: string, reqs: DebugProtocol.SourceBreakpoint[], model: LaunchedModel | null): FileBreakpoint[] {
    this.requests.set(file, reqs);
    const bps = this.compileFor(file, reqs, model);
    this.breakpoints = [...this.breakpoints.filter((b) => b.file !== file), ...bps];
    return bps;
  }

  setFilters(filters: string[]): void {
    this.filters = new Set(filters);
  }

  /** After launch (or restart) the model file is known: recompiles against it, keeping the ids; returns the changed ones. */
  recompile(model: LaunchedModel): FileBreakpoint[] {
    const all: FileBreakpoint[] = [];
    const changed: FileBreakpoint[] = [];
    for (const [file, reqs] of this.requests) {
      const old = this.breakpoints.filter((b) => b.file === file);
      const bps = this.compileFor(file, reqs, model, old.length === reqs.length ? old.map((b) => b.id) : undefined);
      all.push(...bps);
      for (const b of bps) {
        const before = old.find((o) => o.id === b.id);
        if (!before || before.verified !== b.verified || before.line !== b.line || before.message !== b.message) changed.push(b);
      }
    }
    this.breakpoints = all;
    return changed;
  }

  /** Whether the run halts at this stop point: exception filters first, then breakpoints. */
  decide(p: PhasePoint, run: DebugRun, file: string): { halt: Halt | null; logs: string[]; errors: string[] } {
    const view = new StopView(run);
    const exc = checkExceptions(this.filters, p, view, this.thresholds);
    if (exc && !(this.exception && this.exception.filter === exc.filter && this.exception.step === p.step)) {
      this.exception = { ...exc, step: p.step };
      return { halt: { reason: 'exception', description: exc.text, filter: exc.filter }, logs: [], errors: [] };
    }
    const active = this.breakpoints.filter((b) => b.file === file);
    if (active.length === 0) return { halt: null, logs: [], errors: [] };
    const r = evaluateBreakpoints(active, p, view);
    return { halt: r.stop.length ? { reason: 'breakpoint', breakpointIds: r.stop } : null, logs: r.logs, errors: r.errors };
  }

  /** Compiles one file's breakpoints; `ids` keeps the ids the client already knows (on recompiling). */
  private compileFor(
    file: string,
    reqs: DebugProtocol.SourceBreakpoint[],
    model: LaunchedModel | null,
    ids?: number[],
  ): FileBreakpoint[] {
    const id = (i: number): number => ids?.[i] ?? this.nextId++;
    const refuse = (message: string): FileBreakpoint[] =>
      reqs.map((r, i) => ({ id: id(i), line: r.line, verified: false, message, hits: 0, file }));
    if (!file.endsWith(MODEL_SUFFIX))
      return refuse(`Gradient Lens breakpoints go in model files (*${MODEL_SUFFIX}); this file is not one.`);
    if (model && file !== model.file)
      return refuse(`This session trains ${path.basename(model.file)}; breakpoints in other model files do not apply.`);
    let lines: ModelLines;
    if (model) {
      lines = model.lines;
    } else {
      let text: string;
      try {
        text = readModelFileSync(file);
      } catch {
        return refuse('The model file cannot be read.');
      }
      lines = modelLines(text, parseModel(text));
    }
    return reqs.map((r, i) => ({ ...compileBreakpoint(id(i), r, lines), file }));
  }
}
