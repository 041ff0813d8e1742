// The tree walk: a parsed syntax tree checked against the field tables (fields.ts), every problem
// worded and placed at its exact source range. Values come out as readObject collects them, ready
// for buildSpec.

import type { Node } from 'jsonc-parser';
import type { LayerSpec } from './spec';
import { LAYER_DEFS, LAYER_TYPES, type FieldDef, type FieldKind, type ObjectDef } from './fields';
import { closest } from './suggest';
import { clip, type Collector, ECHO_CHARS, quoted, rangeOf } from './problems';
import { fieldsByName, fits, layerSpec, type Values } from './buildSpec';
import type { SourceRange } from './positions';

/** How many layers the walks have read, ever: the tests see from it where a walk stopped. */
export const walkWork = { layers: 0 };

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

export function readObject(node: Node, def: ObjectDef, path: string, out: Collector, skip: string[] = []): Values {
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
      // A layer type with no field but its `type` (flatten, the activations) has no list to offer.
      const expected = names.length ? `one of ${names.map((n) => `"${n}"`).join(', ')}` : 'no field other than "type"';
      out.add(
        join(path, clip(key)),
        `unknown field ${quoted(key)}${guess ? `; did you mean "${guess}"?` : `; expected ${expected}`}`,
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
  return fits(t, node.value) ? node.value : explain(node, t, join(parent, key), out);
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
      // An integer past the upper bound: say the bound (the range text would hide the usual lower
      // one). Number.isInteger is false for anything but a finite number, and past the upper
      // bound is past the lower one (min ≤ max in every table).
      const overMax = t.integer && Number.isInteger(v) && t.max !== undefined && (t.exclusiveMax ? v >= t.max : v > t.max);
      if (overMax) return fail(out, path, `an integer ${t.exclusiveMax ? 'below' : 'of at most'} ${t.max}`, node);
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

export function describe(node: Node, text: string): string {
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

export function layersNode(root: Node): Node[] {
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
  for (let i = 0; i < items.length; i++) {
    if (out.full) {
      out.uncheckedLayers = items.length - i;
      break;
    }
    const layer = readLayer(items[i], i, path, out);
    if (layer) layers.push(layer);
  }
  return layers;
}

/** Element `i` of the layers array at `path`: its spec, or undefined with its problems told to `out`. */
export function readLayer(item: Node, i: number, path: string, out: Collector): LayerSpec | undefined {
  walkWork.layers++;
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
  return layerSpec(type, v);
}
