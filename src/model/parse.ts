// Model file text → typed ModelSpec, or every problem with its exact source range.
// Comments and trailing commas are allowed (JSONC). The field tables in fields.ts drive all of
// the checking; this file only walks the syntax tree and phrases the messages.

import { createScanner, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import type { LayerSpec, ModelSpec, OptimizerSpec, Shape } from './spec';
import type { ModelProblem, SourceRange } from './positions';
import {
  DATA_DEF,
  LAYER_DEFS,
  LAYER_TYPES,
  OPTIMIZER_DEF,
  ROOT_DEF,
  type FieldDef,
  type FieldKind,
  type ObjectDef,
} from './fields';
import { MNIST_INFO } from './shapes';
import { closest } from './suggest';
import { fastParseTree } from './fastTree';
import { clip, Collector, ECHO_CHARS, quoted, rangeOf } from './problems';
import { checkShapes } from './shapeCheck';
import { warnAboutSettings } from './settingsWarnings';

export { clip } from './problems';
export { checkShapes } from './shapeCheck';
export { MAX_PATH_CHARS } from './settingsWarnings';

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

type Values = Record<string, unknown>;

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

const SYNTAX_MESSAGES: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected a colon after the property name',
  CommaExpected: 'expected a comma',
  CloseBraceExpected: 'expected a closing brace "}"',
  CloseBracketExpected: 'expected a closing bracket "]"',
  EndOfFileExpected: 'expected the end of the file after the top-level object',
  InvalidCommentToken: 'invalid comment',
  UnexpectedEndOfComment: 'the comment is not closed',
  UnexpectedEndOfString: 'the string is not closed',
  UnexpectedEndOfNumber: 'the number is not complete',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in a string',
};

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
  const out = new Collector(text);
  // The fast builder handles files without syntax errors; the others go to jsonc-parser, which
  // recovers and names each error (after a depth check: it recurses).
  const fast = fastParseTree(text, MAX_NESTING);
  const scan = fast
    ? { empty: !fast.root && fast.tooDeep < 0, tooDeep: fast.tooDeep >= 0 ? { offset: fast.tooDeep, length: 1 } : null }
    : scanStructure(text);
  if (scan.empty) {
    out.add('', 'the file is empty: expected a model object { "data": …, "layers": [ … ] }', { offset: 0, length: 0 });
    return { spec: null, problems: out.problems, layerRanges: [], layerLineRanges: [] };
  }
  if (scan.tooDeep) {
    out.add('', `the file nests objects and arrays more than ${MAX_NESTING} levels deep; a model file needs four`, scan.tooDeep);
    return { spec: null, problems: out.problems, layerRanges: [], layerLineRanges: [] };
  }
  const syntax: ParseError[] = [];
  const root = fast?.root ?? parseTree(text, syntax, { allowTrailingComma: true, disallowComments: false });
  for (const e of syntax) {
    const code = printParseErrorCode(e.error);
    out.add('', `syntax error: ${SYNTAX_MESSAGES[code] ?? code}`, { offset: e.offset, length: Math.max(1, e.length) });
  }
  const empty: ParsedModel = { spec: null, problems: out.problems, layerRanges: [], layerLineRanges: [] };
  if (!root) return empty;
  if (root.type !== 'object') {
    out.add('', `expected a model object { … } at the top level, got ${describe(root, text)}`, rangeOf(root));
    return empty;
  }
  const values = readObject(root, ROOT_DEF, '', out);
  const layerNodes = layersNode(root);
  const layerRanges = layerNodes.map(rangeOf);
  const layerLineRanges = layerNodes.map((n) => {
    const eol = text.indexOf('\n', n.offset);
    const end = eol < 0 ? text.length : eol;
    return { offset: n.offset, length: Math.min(end, n.offset + n.length) - n.offset };
  });
  const parsed: ParsedModel = { spec: null, problems: out.problems, layerRanges, layerLineRanges };
  if (out.hasErrors) return sorted(parsed);

  const spec = buildSpec(values);
  parsed.spec = spec;
  warnAboutSettings(spec, root, out, location);
  const info = dataInfo ?? (spec.data.source === 'mnist' ? MNIST_INFO : undefined);
  if (info) out.problems.push(...checkShapes(parsed, text, info));
  if (out.hasErrors) parsed.spec = null;
  return sorted(parsed);
}

// jsonc-parser's SyntaxKind is a const enum, which isolated modules cannot read: its values here.
const TOKEN = {
  openBrace: 1,
  closeBrace: 2,
  openBracket: 3,
  closeBracket: 4,
  lineComment: 12,
  blockComment: 13,
  lineBreak: 14,
  trivia: 15,
  eof: 17,
} as const;

/** One pass of the tokenizer (no recursion): is there any token, and where does nesting go too deep? */
function scanStructure(text: string): { empty: boolean; tooDeep: SourceRange | null } {
  const scanner = createScanner(text, false);
  let depth = 0;
  let empty = true;
  for (let kind: number = scanner.scan(); kind !== TOKEN.eof; kind = scanner.scan()) {
    if (kind === TOKEN.trivia || kind === TOKEN.lineBreak || kind === TOKEN.lineComment || kind === TOKEN.blockComment) continue;
    empty = false;
    if (kind === TOKEN.openBrace || kind === TOKEN.openBracket) {
      if (++depth > MAX_NESTING) return { empty, tooDeep: { offset: scanner.getTokenOffset(), length: 1 } };
    } else if (kind === TOKEN.closeBrace || kind === TOKEN.closeBracket) {
      depth = Math.max(0, depth - 1);
    }
  }
  return { empty, tooDeep: null };
}

function sorted(p: ParsedModel): ParsedModel {
  p.problems.sort((a, b) => a.range.offset - b.range.offset);
  return p;
}

// ---------------------------------------------------------------------------------------------

const fieldIndex = new WeakMap<ObjectDef, Map<string, FieldDef>>();

/** The fields of an object by name (looked up once per property; files can hold thousands of layers). */
function fieldsByName(def: ObjectDef): Map<string, FieldDef> {
  let m = fieldIndex.get(def);
  if (!m) {
    m = new Map(def.fields.map((f) => [f.name, f]));
    fieldIndex.set(def, m);
  }
  return m;
}

function readObject(node: Node, def: ObjectDef, path: string, out: Collector, skip: string[] = []): Values {
  const values: Values = {};
  if (node.type !== 'object') {
    out.add(path, `expected an object { … }, got ${describe(node, out.text)}`, rangeOf(node));
    return values;
  }
  const seen = new Set<string>();
  for (const prop of node.children ?? []) {
    const keyNode = prop.children?.[0];
    const valueNode = prop.children?.[1];
    if (!keyNode) continue;
    const key = String(keyNode.value);
    if (seen.has(key)) {
      out.add(join(path, clip(key)), `${quoted(key)} is given twice`, rangeOf(keyNode));
      continue;
    }
    seen.add(key);
    if (skip.includes(key)) continue;
    const field = fieldsByName(def).get(key);
    if (!field) {
      const names = def.fields.map((f) => f.name).filter((n) => n !== 'type' || skip.length === 0);
      const guess = closest(key, names);
      out.add(
        join(path, clip(key)),
        `unknown field ${quoted(key)}${guess ? `; did you mean "${guess}"?` : `; expected one of ${names.map((n) => `"${n}"`).join(', ')}`}`,
        rangeOf(keyNode),
      );
      continue;
    }
    if (!valueNode) continue; // a syntax error was reported already
    const v = readValue(valueNode, field, path, key, out);
    if (v !== undefined) values[key] = v;
  }
  for (const f of def.fields) {
    if (f.required && !seen.has(f.name) && !skip.includes(f.name)) {
      out.add(path, `missing required field "${f.name}" (${f.doc.split('. ')[0].replace(/\.$/, '')})`, openingBrace(node));
    }
  }
  return values;
}

function openingBrace(node: Node): SourceRange {
  return { offset: node.offset, length: 1 };
}

/** The value of field `key` of the object at `parent` (the path is only built for a message). */
function readValue(node: Node, field: FieldDef, parent: string, key: string, out: Collector): unknown {
  const t = field.type;
  if (t.kind === 'object') return readObject(node, t.object, join(parent, key), out);
  if (t.kind === 'layers') return readLayers(node, join(parent, key), out);
  const ok = checkValue(node, t);
  return ok ? node.value : explain(node, t, join(parent, key), out);
}

/** Whether a scalar value fits its field (the common case, without building any message). */
function checkValue(node: Node, t: FieldKind): boolean {
  switch (t.kind) {
    case 'string':
      return node.type === 'string';
    case 'boolean':
      return node.type === 'boolean';
    case 'enum':
      return node.type === 'string' && t.values.includes(node.value as string);
    case 'number': {
      const v = node.value as number;
      return (
        node.type === 'number' &&
        Number.isFinite(v) &&
        (!t.integer || Number.isInteger(v)) &&
        (t.min === undefined || (t.exclusiveMin ? v > t.min : v >= t.min)) &&
        (t.max === undefined || (t.exclusiveMax ? v < t.max : v <= t.max))
      );
    }
    default:
      return false;
  }
}

/** Reports why a scalar value does not fit its field; returns undefined. */
function explain(node: Node, t: FieldKind, path: string, out: Collector): undefined {
  switch (t.kind) {
    case 'string':
      return fail(out, path, 'a string', node);
    case 'boolean':
      return fail(out, path, 'true or false', node);
    case 'enum': {
      const guess = node.type === 'string' ? closest(String(node.value), t.values) : undefined;
      const expected = t.values.length === 1 ? `"${t.values[0]}"` : `one of ${t.values.map((v) => `"${v}"`).join(', ')}`;
      out.add(
        path,
        `expected ${expected}, got ${describe(node, out.text)}${guess ? `; did you mean "${guess}"?` : ''}`,
        rangeOf(node),
      );
      return undefined;
    }
    case 'number': {
      const v = node.value as number;
      // Past the upper bound only: say the bound (the range text would hide the usual lower one).
      const overMax =
        node.type === 'number' &&
        Number.isFinite(v) &&
        t.max !== undefined &&
        (t.exclusiveMax ? v >= t.max : v > t.max) &&
        (t.min === undefined || v >= t.min) &&
        (!t.integer || Number.isInteger(v));
      if (overMax && t.integer) return fail(out, path, `an integer of at most ${t.max}`, node);
      return fail(out, path, describeNumber(t), node);
    }
    default:
      return undefined;
  }
}

function fail(out: Collector, path: string, expected: string, node: Node): undefined {
  out.add(path, `expected ${expected}, got ${describe(node, out.text)}`, rangeOf(node));
  return undefined;
}

export function describeNumber(t: Extract<FieldKind, { kind: 'number' }>): string {
  if (t.integer) {
    // An upper bound is named on its own when it is what failed (see readValue).
    if (t.min === 1) return 'a positive integer';
    if (t.min === 0) return 'a non-negative integer';
  }
  if (t.min === 0 && t.exclusiveMin && t.max === undefined) return 'a positive number';
  if (t.min === 0 && !t.exclusiveMin && t.max === undefined) return 'a number ≥ 0';
  const lo = t.min === undefined ? '(−∞' : `${t.exclusiveMin ? '(' : '['}${t.min}`;
  const hi = t.max === undefined ? '∞)' : `${t.max}${t.exclusiveMax ? ')' : ']'}`;
  return `${t.integer ? 'an integer' : 'a number'} in ${lo}, ${hi}`;
}

function describe(node: Node, text: string): string {
  switch (node.type) {
    case 'number':
      return clip(text.slice(node.offset, node.offset + Math.min(node.length, ECHO_CHARS + 1)));
    case 'string':
      return quoted(String(node.value));
    case 'boolean':
      return String(node.value);
    case 'null':
      return 'null';
    case 'array':
      return 'an array';
    case 'object':
      return 'an object';
    default:
      return node.type;
  }
}

function layersNode(root: Node): Node[] {
  const prop = root.children?.find((p) => p.children?.[0]?.value === 'layers');
  const arr = prop?.children?.[1];
  return arr?.type === 'array' ? (arr.children ?? []) : [];
}

function readLayers(node: Node, path: string, out: Collector): LayerSpec[] | undefined {
  if (node.type !== 'array') return fail(out, path, 'an array of layers [ { "type": … }, … ]', node);
  const items = node.children ?? [];
  if (items.length === 0) {
    out.add(path, 'expected at least one layer', rangeOf(node));
    return undefined;
  }
  const layers: LayerSpec[] = [];
  items.forEach((item, i) => {
    const p = `${path}[${i}]`;
    if (item.type !== 'object') {
      fail(out, p, 'a layer object { "type": … }', item);
      return;
    }
    const typeProp = item.children?.find((c) => c.children?.[0]?.value === 'type');
    const typeNode = typeProp?.children?.[1];
    if (!typeNode) {
      out.add(p, `missing required field "type" (one of ${LAYER_TYPES.map((t) => `"${t}"`).join(', ')})`, openingBrace(item));
      return;
    }
    if (typeNode.type !== 'string' || !(LAYER_TYPES as readonly string[]).includes(typeNode.value as string)) {
      const guess = typeNode.type === 'string' ? closest(String(typeNode.value), LAYER_TYPES) : undefined;
      out.add(
        `${p}.type`,
        `unknown layer type ${describe(typeNode, out.text)}${guess ? `; did you mean "${guess}"?` : `; expected one of ${LAYER_TYPES.map((t) => `"${t}"`).join(', ')}`}`,
        rangeOf(typeNode),
      );
      return;
    }
    const type = typeNode.value as keyof typeof LAYER_DEFS;
    const v = readObject(item, LAYER_DEFS[type], p, out, ['type']);
    layers.push(layerSpec(type, v));
  });
  return layers;
}

function layerSpec(type: keyof typeof LAYER_DEFS, v: Values): LayerSpec {
  switch (type) {
    case 'dense':
      return { type, units: v.units as number, activation: (v.activation ?? 'linear') as never };
    case 'conv2d':
      return {
        type,
        filters: v.filters as number,
        kernelSize: v.kernelSize as number,
        stride: (v.stride ?? 1) as number,
        padding: (v.padding ?? 'valid') as 'valid' | 'same',
        activation: (v.activation ?? 'linear') as never,
      };
    case 'maxpool2d':
      return { type, poolSize: v.poolSize as number, stride: (v.stride ?? v.poolSize) as number };
    default:
      return { type } as LayerSpec;
  }
}

function withDefaults(def: ObjectDef, v: Values): Values {
  const r: Values = {};
  for (const f of def.fields) if (f.default !== undefined) r[f.name] = f.default;
  return { ...r, ...v };
}

function buildSpec(v: Values): ModelSpec {
  const root = withDefaults(ROOT_DEF, v);
  const data = withDefaults(DATA_DEF, (v.data ?? {}) as Values);
  const opt = withDefaults(OPTIMIZER_DEF, (v.optimizer ?? {}) as Values);
  const type = opt.type as 'sgd' | 'adam';
  const optimizer: OptimizerSpec = {
    type,
    learningRate: (opt.learningRate ?? (type === 'adam' ? 0.001 : 0.05)) as number,
    momentum: opt.momentum as number,
    nesterov: opt.nesterov as boolean,
    weightDecay: opt.weightDecay as number,
    beta1: opt.beta1 as number,
    beta2: opt.beta2 as number,
    epsilon: opt.epsilon as number,
  };
  return {
    name: (root.name as string | undefined) ?? 'model',
    seed: root.seed as number,
    dtype: root.dtype as 'float32' | 'float64',
    data: {
      source: data.source as string,
      ...(data.labels !== undefined ? { labels: data.labels as string } : {}),
      ...(data.limit !== undefined ? { limit: data.limit as number } : {}),
      validationSplit: data.validationSplit as number,
    },
    layers: root.layers as LayerSpec[],
    loss: root.loss as 'cross-entropy' | 'mse',
    optimizer,
    batchSize: root.batchSize as number,
    epochs: root.epochs as number,
  };
}
