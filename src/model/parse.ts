// Model file text → typed ModelSpec, or every problem with its exact source range.
// Comments and trailing commas are allowed (JSONC). The field tables in fields.ts drive all of
// the checking. Two ways through a file: the quick check (quickParse.ts) for a file without
// problems, and the tree walk (readTree.ts), which words and places every problem.

import { parseTree, printParseErrorCode, visit, type Node, type ParseError } from 'jsonc-parser';
import type { ModelSpec, Shape } from './spec';
import type { ModelProblem, SourceRange } from './positions';
import { ROOT_DEF } from './fields';
import { MNIST_INFO } from './shapes';
import { fastParseTree } from './fastTree';
import { Collector, rangeOf } from './problems';
import { checkShapes } from './shapeCheck';
import { warnAboutSettings } from './settingsWarnings';
import { buildSpec } from './buildSpec';
import { describe, layersNode, readLayer, readObject } from './readTree';
import { quickParse, type QuickFailure } from './quickParse';
import { scanStructure, SYNTAX_MESSAGES } from './syntax';

export { clip } from './problems';
export { checkShapes } from './shapeCheck';
export { MAX_PATH_CHARS } from './settingsWarnings';
export { describeNumber } from './readTree';

export interface DataInfo {
  inputShape: Shape;
  numClasses: number;
}

export interface ParsedModel {
  /** The typed spec with defaults filled in; null when there is any error. */
  spec: ModelSpec | null;
  /** Every error and warning, in text order. */
  problems: ModelProblem[];
  /** The whole object of each element of `layers`, by index (empty where `layers` is unusable). */
  layerRanges: SourceRange[];
  /** From the start of each layer object to the end of that line: where end-of-line decorations go. */
  layerLineRanges: SourceRange[];
}

/** Where the model file sits, for checks that depend on it. */
export interface ModelLocation {
  /**
   * How many folders lie between the workspace root and the model file's folder (0: the file is in
   * the root). Data paths are relative to the model file, so `..` is fine up to this many times.
   * Without it, the `..` check is skipped (the data layer still refuses such a path at load time).
   */
  folderDepth: number;
}

/**
 * Deeper nesting than this is refused before the tree is built (the tree builder recurses, and a
 * model file needs four levels). Far below the depth at which the stack would overflow.
 */
export const MAX_NESTING = 64;

export function parseModel(rawText: string, dataInfo?: DataInfo, location?: ModelLocation): ParsedModel {
  // A UTF-8 byte-order mark becomes a space: offsets (and so every range) stay the same.
  const text = rawText.charCodeAt(0) === 0xfeff ? ` ${rawText.slice(1)}` : rawText;
  const quick = quickParse(text, MAX_NESTING);
  if (quick === 'syntax') return parseByTree(text, dataInfo, location, true);
  if (quick && 'failed' in quick) return located(text, quick) ?? parseByTree(text, dataInfo, location);
  // The warnings need a tree for their positions: a small one, of everything but the layers.
  const rest = quick ? fastParseTree(quick.withoutLayers, MAX_NESTING)?.root : undefined;
  if (quick && rest) return finish(text, new Collector(text), quick.values, rest, quick.layerRanges, dataInfo, location);
  return parseByTree(text, dataInfo, location);
}

/**
 * Above this many characters a file with a syntax error gets its syntax errors only: recovering a
 * whole tree from broken text costs about 100 ms a megabyte, which would block the editor on every
 * pause in typing. The field checks follow once the syntax is fixed.
 */
export const SYNTAX_ONLY_CHARS = 128 * 1024;

/**
 * At most this many problems are listed; the rest are summed up in one more problem placed where
 * they begin. A Problems panel of thousands of copies of one mistake (a generated file with every
 * layer wrong) helps nobody, and finding, wording and placing each one would block the editor on
 * every edit. What is listed is listed in full, each at its place.
 */
export const MAX_PROBLEMS = 1000;

/** The tree walk alone (what parseModel does for a file with any problem); exported for the tests that compare the two. */
export function parseByTree(text: string, dataInfo?: DataInfo, location?: ModelLocation, brokenSyntax = false): ParsedModel {
  const out = new Collector(text, MAX_PROBLEMS);
  // The fast builder handles files without syntax errors; the others go to jsonc-parser, which
  // recovers and names each error (after a depth check: it recurses).
  const fast = brokenSyntax ? null : fastParseTree(text, MAX_NESTING);
  const scan = fast
    ? { empty: !fast.root && fast.tooDeep < 0, tooDeep: fast.tooDeep >= 0 ? { offset: fast.tooDeep, length: 1 } : null }
    : scanStructure(text, MAX_NESTING);
  if (scan.empty) {
    out.add('', 'the file is empty: expected a model object { "data": …, "layers": [ … ] }', { offset: 0, length: 0 });
    return { spec: null, problems: out.problems, layerRanges: [], layerLineRanges: [] };
  }
  if (scan.tooDeep) {
    out.add('', `the file nests objects and arrays more than ${MAX_NESTING} levels deep; a model file needs four`, scan.tooDeep);
    return { spec: null, problems: out.problems, layerRanges: [], layerLineRanges: [] };
  }
  const syntax: ParseError[] = [];
  const options = { allowTrailingComma: true, disallowComments: false };
  if (!fast && text.length > SYNTAX_ONLY_CHARS) {
    visit(text, { onError: (error, offset, length) => syntax.push({ error, offset, length }) }, options);
    if (syntax.length > 0)
      return sorted({ spec: null, problems: syntaxProblems(out, syntax), layerRanges: [], layerLineRanges: [] });
  }
  const root = fast?.root ?? parseTree(text, syntax, options);
  syntaxProblems(out, syntax);
  const empty: ParsedModel = { spec: null, problems: out.problems, layerRanges: [], layerLineRanges: [] };
  if (!root) return empty;
  if (root.type !== 'object') {
    out.add('', `expected a model object { … } at the top level, got ${describe(root, text)}`, rangeOf(root));
    return empty;
  }
  const values = readObject(root, ROOT_DEF, '', out);
  const layerRanges = layersNode(root).map(rangeOf);
  if (out.hasErrors)
    return sorted(
      { spec: null, problems: out.problems, layerRanges, layerLineRanges: lineRanges(text, layerRanges) },
      true,
      out.uncheckedLayers,
    );
  return finish(text, out, values, root, layerRanges, dataInfo, location);
}

/**
 * The problems of a file that is JSON but has wrong values, from small trees only: the file with
 * its layers blanked, and each layer that failed the quick check (the others passed the same field
 * checks, so the tree walk would find nothing in them). Null when these find no error: the whole
 * tree walk decides then.
 */
function located(text: string, f: QuickFailure): ParsedModel | null {
  const rest = fastParseTree(f.withoutLayers, MAX_NESTING)?.root;
  if (rest?.type !== 'object') return null;
  const out = new Collector(text);
  readObject(rest, ROOT_DEF, '', out, ['layers']);
  let walked = 0;
  for (; walked < f.badLayers.length && out.problems.length < MAX_PROBLEMS; walked++) {
    const k = f.badLayers[walked];
    const r = f.layerRanges[k];
    const item = fastParseTree(text, MAX_NESTING, r.offset, r.offset + r.length)?.root;
    if (!item) return null;
    readLayer(item, k, 'layers', out);
  }
  if (!out.hasErrors) return null;
  // The layers not walked failed the same checks: say how many, at the first of them.
  const left = f.badLayers.length - walked;
  if (left > 0) {
    const first = f.badLayers[walked];
    out.add(
      `layers[${first}]`,
      `${count(left, 'more layer')} from here on ${left === 1 ? 'has' : 'have'} problems; only the first ${count(MAX_PROBLEMS, 'problem')} are listed`,
      { offset: f.layerRanges[first].offset, length: 1 },
    );
  }
  const layerRanges = f.layerRanges;
  return sorted({ spec: null, problems: out.problems, layerRanges, layerLineRanges: lineRanges(text, layerRanges) }, false);
}

const count = (n: number, what: string): string => `${n.toLocaleString('en')} ${what}${n === 1 ? '' : 's'}`;

/** From valid values on: the spec, the checks that need it, the ranges for the editor. */
function finish(
  text: string,
  out: Collector,
  values: Record<string, unknown>,
  root: Node,
  layerRanges: SourceRange[],
  dataInfo: DataInfo | undefined,
  location: ModelLocation | undefined,
): ParsedModel {
  const parsed: ParsedModel = { spec: null, problems: out.problems, layerRanges, layerLineRanges: lineRanges(text, layerRanges) };
  const spec = buildSpec(values);
  parsed.spec = spec;
  warnAboutSettings(spec, root, out, location);
  const info = dataInfo ?? (spec.data.source === 'mnist' ? MNIST_INFO : undefined);
  if (info) out.problems.push(...checkShapes(parsed, text, info));
  if (out.hasErrors) parsed.spec = null;
  return sorted(parsed);
}

/** From the start of each layer to the end of its first line (or of the layer, if sooner). */
function lineRanges(text: string, ranges: SourceRange[]): SourceRange[] {
  // The layers come in text order: one line end serves every layer that starts before it (a
  // search from each layer was quadratic on a file of many layers on one line).
  let eol = -1;
  return ranges.map((r) => {
    if (eol < r.offset) {
      eol = text.indexOf('\n', r.offset);
      if (eol < 0) eol = text.length;
    }
    return { offset: r.offset, length: Math.min(eol, r.offset + r.length) - r.offset };
  });
}

function syntaxProblems(out: Collector, errors: ParseError[]): ModelProblem[] {
  for (const e of errors) {
    const code = printParseErrorCode(e.error);
    out.add('', `syntax error: ${SYNTAX_MESSAGES[code] ?? code}`, { offset: e.offset, length: Math.max(1, e.length) });
  }
  return out.problems;
}

/**
 * The problems in text order; past MAX_PROBLEMS (with `cap`), the rest as one problem where they
 * begin, saying how many layers the walk left unread once the list was full (`unchecked`).
 */
function sorted(p: ParsedModel, cap = true, unchecked = 0): ParsedModel {
  p.problems.sort((a, b) => a.range.offset - b.range.offset);
  if (cap && p.problems.length > MAX_PROBLEMS) {
    const rest = p.problems.splice(MAX_PROBLEMS);
    const unread = unchecked > 0 ? `, and ${count(unchecked, 'more layer')} not checked` : '';
    p.problems.push({
      path: rest[0].path,
      message: `${rest[0].path ? `${rest[0].path}: ` : ''}${count(rest.length, 'more problem')} from here on${unread}; only the first ${count(MAX_PROBLEMS, 'problem')} are listed`,
      range: rest[0].range,
      severity: rest.some((x) => x.severity === 'error') ? 'error' : 'warning',
    });
  }
  return p;
}
