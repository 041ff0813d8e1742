// Breakpoints and exception filters as predicates over stop points. A breakpoint's condition,
// hit count and log message are checked when it is set (a bad one is reported at the breakpoint,
// verified: false, with the positioned message) and evaluated at each matching stop point.

import type { PhasePoint } from '../engine/trainer';
import { checkExpression, checkLogMessage, evaluate, ExprError, interpolate, truthy, type Expr } from './expr';
import { KNOWN_NAMES, type StopView } from './frame';
import { LINE_HINT, targetAt, type ModelLines, type StopTarget } from './lines';

export interface BreakpointRequest {
  line: number;
  condition?: string;
  hitCondition?: string;
  logMessage?: string;
}

export interface CompiledBreakpoint {
  id: number;
  line: number;
  verified: boolean;
  message?: string;
  target?: StopTarget;
  condition?: Expr;
  conditionText?: string;
  hit?: (count: number) => boolean;
  logMessage?: string;
  hits: number;
}

export function compileBreakpoint(id: number, req: BreakpointRequest, lines: ModelLines): CompiledBreakpoint {
  const at = targetAt(lines, req.line);
  if (!at) return { id, line: req.line, verified: false, message: LINE_HINT, hits: 0 };
  const bp: CompiledBreakpoint = { id, line: at.line, verified: true, target: at.target, hits: 0 };
  try {
    if (req.condition?.trim()) {
      bp.condition = checkExpression(req.condition, KNOWN_NAMES);
      bp.conditionText = req.condition;
    }
  } catch (e) {
    return { ...bp, verified: false, message: `Condition: ${describe(e)}` };
  }
  if (req.hitCondition?.trim()) {
    const hit = parseHitCondition(req.hitCondition);
    if (typeof hit === 'string') return { ...bp, verified: false, message: `Hit count: ${hit}` };
    bp.hit = hit;
  }
  if (req.logMessage !== undefined) {
    try {
      checkLogMessage(req.logMessage);
    } catch (e) {
      return { ...bp, verified: false, message: `Log message: ${describe(e)}` };
    }
    bp.logMessage = req.logMessage;
  }
  return bp;
}

function describe(e: unknown): string {
  return e instanceof ExprError ? e.describe() : String((e as Error)?.message ?? e);
}

/**
 * `5` or `>= 5`: from the 5th hit on; `== 5`: only the 5th; `> 5`, `< 5`, `<= 5`; `% 5`: every 5th.
 * Returns the predicate, or a message.
 */
export function parseHitCondition(text: string): ((n: number) => boolean) | string {
  const m = /^\s*(>=|<=|==|>|<|%)?\s*(\d+)\s*$/.exec(text);
  if (!m)
    return `"${text}" is not a hit count: write a number (break from that hit on) or ==, >, >=, <, <= or % followed by a number`;
  const k = Number(m[2]);
  switch (m[1]) {
    case '==':
      return (n) => n === k;
    case '>':
      return (n) => n > k;
    case '<':
      return (n) => n < k;
    case '<=':
      return (n) => n <= k;
    case '%':
      return k === 0 ? '"% 0" never breaks: use a number ≥ 1' : (n) => n % k === 0;
    default:
      return (n) => n >= k;
  }
}

export function matches(t: StopTarget, p: PhasePoint): boolean {
  return t.kind === p.kind && (t.kind !== 'layer-backward' || t.layer === p.layer);
}

export interface BreakpointOutcome {
  stop: number[];
  logs: string[];
  errors: string[];
}

/** Evaluates every breakpoint at this stop point; counts hits only where the condition holds. */
export function evaluateBreakpoints(bps: CompiledBreakpoint[], p: PhasePoint, view: StopView): BreakpointOutcome {
  const out: BreakpointOutcome = { stop: [], logs: [], errors: [] };
  for (const bp of bps) {
    if (!bp.verified || !bp.target || !matches(bp.target, p)) continue;
    if (bp.condition) {
      try {
        if (!truthy(evaluate(bp.condition, view), bp.condition.range)) continue;
      } catch (e) {
        // Stop rather than silently never breaking: the user sees why.
        out.errors.push(
          `Breakpoint on line ${bp.line}: the condition "${bp.conditionText}" failed at step ${p.step}: ${describe(e)}`,
        );
        out.stop.push(bp.id);
        continue;
      }
    }
    bp.hits++;
    if (bp.hit && !bp.hit(bp.hits)) continue;
    if (bp.logMessage !== undefined) out.logs.push(interpolate(bp.logMessage, view));
    else out.stop.push(bp.id);
  }
  return out;
}

export interface HealthThresholds {
  explodingGradNorm: number;
  vanishingGradNorm: number;
  deadReluFraction: number;
}

export const EXCEPTION_FILTERS = [
  {
    filter: 'nonFinite',
    label: 'NaN or Inf',
    description: 'Stop where a NaN or infinity first appears in the loss, a gradient or the weights.',
    default: true,
  },
  {
    filter: 'exploding',
    label: 'Exploding gradient',
    description:
      "Stop after a layer's backward pass when its gradient norm ‖G‖ exceeds the threshold (gradientLens.health.explodingGradNorm).",
    default: false,
  },
  {
    filter: 'vanishing',
    label: 'Vanishing gradient',
    description:
      "Stop after a layer's backward pass (not the last layer) when ‖G‖ falls below the threshold (gradientLens.health.vanishingGradNorm).",
    default: false,
  },
  {
    filter: 'deadRelu',
    label: 'Dead ReLUs',
    description:
      'Stop before the update when a ReLU layer has more than the threshold fraction of units zero for the whole batch (gradientLens.health.deadReluFraction).',
    default: false,
  },
] as const;

export type ExceptionFilter = (typeof EXCEPTION_FILTERS)[number]['filter'];

/** The first enabled exception filter that fires at this stop point, with its explanation. */
export function checkExceptions(
  filters: ReadonlySet<string>,
  p: PhasePoint,
  view: StopView,
  th: HealthThresholds,
): { filter: ExceptionFilter; text: string } | null {
  if (filters.has('nonFinite') && (p.kind === 'forward-done' || p.kind === 'layer-backward' || p.kind === 'after-update')) {
    const where = view.nonFinite();
    if (where) return { filter: 'nonFinite', text: `NaN or Inf at step ${p.step}: ${where}` };
  }
  if (p.kind === 'layer-backward' && view.hasParams(p.layer!)) {
    const L = p.layer!;
    const norm = view.layerGradNorm(L);
    if (filters.has('exploding') && norm > th.explodingGradNorm) {
      return {
        filter: 'exploding',
        text: `Exploding gradient at step ${p.step}: ‖G‖ of layers[${L}] is ${fmt(norm)} > ${fmt(th.explodingGradNorm)}`,
      };
    }
    const last = Math.max(...view.paramLayers());
    if (filters.has('vanishing') && L !== last && norm < th.vanishingGradNorm) {
      return {
        filter: 'vanishing',
        text: `Vanishing gradient at step ${p.step}: ‖G‖ of layers[${L}] is ${fmt(norm)} < ${fmt(th.vanishingGradNorm)}`,
      };
    }
  }
  if (filters.has('deadRelu') && p.kind === 'before-update') {
    for (const L of view.paramLayers()) {
      const dead = view.deadFraction(L);
      if (dead !== null && dead > th.deadReluFraction) {
        return {
          filter: 'deadRelu',
          text: `Dead ReLUs at step ${p.step}: ${(100 * dead).toFixed(0)}% of the units of layers[${L}] are zero for the whole batch (threshold ${(100 * th.deadReluFraction).toFixed(0)}%)`,
        };
      }
    }
  }
  return null;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e6 ? String(Number(v.toPrecision(4))) : v.toExponential(2);
}
