// The quick way through a model file without problems. Building a syntax tree costs a few objects
// per token, and on a file of thousands of layers the allocation (and the garbage collector) is
// most of the time the extension host stays blocked on an edit. Here the engine's own JSON.parse
// makes the values, one scan of the text finds what JSON.parse cannot say (comments and trailing
// commas to blank out, where each layer sits, how many properties there are, how deep it nests),
// and a check of the values against fields.ts answers only yes or no. Any "no" — a syntax error,
// an unknown or duplicate key, a bad value — returns null, and the caller takes the tree walk,
// which finds and words every problem with its position. So this path may only accept files the
// tree walk accepts too (test/unit/model/quickParse.test.ts compares the two).

import type { LayerSpec } from './spec';
import { LAYER_DEFS, LAYER_TYPES, ROOT_DEF, type ObjectDef } from './fields';
import type { SourceRange } from './positions';
import { fieldsByName, fits, layerSpec, type Values } from './buildSpec';

export interface QuickParse {
  values: Values;
  /** The whole object of each element of `layers`, by index. */
  layerRanges: SourceRange[];
  /** The text with the contents of the `layers` array blanked (same offsets): a small tree for the warnings. */
  withoutLayers: string;
}

interface Scan {
  /** The text as strict JSON: comments and trailing commas replaced by spaces. */
  json: string;
  layerRanges: SourceRange[];
  /** Offsets of the `[` and `]` of the top-level `layers` array, or -1. */
  layersOpen: number;
  layersClose: number;
  /** Colons outside strings and comments: one per property, so duplicates show as a shortfall. */
  properties: number;
  /** The colons inside each element of `layerRanges`. */
  layerProperties: number[];
  /** `layers` is given twice at the top level (the tree walk says so). */
  twoLayers: boolean;
}

/**
 * A file that is JSON (once comments and trailing commas are blanked) with a `layers` array of
 * objects, whose values do not all pass: what the located walk (locateProblems.ts) needs to word
 * and place the problems without a tree of the whole file.
 */
export interface QuickFailure {
  failed: true;
  /** The layers that fail the check (wrong field, value or duplicate key), by index. */
  badLayers: number[];
  layerRanges: SourceRange[];
  withoutLayers: string;
}

const QUOTE = 34;
const SLASH = 47;
const STAR = 42;
const COMMA = 44;
const COLON = 58;
const isSpace = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9;

/** One pass over the text, or null where it is not plainly valid (the tree walk then says why). */
function scan(text: string, maxNesting: number): Scan | null {
  const n = text.length;
  const blanks: number[] = []; // [start, end) pairs, in order
  const layerRanges: SourceRange[] = [];
  const layerProperties: number[] = [];
  let inLayer = 0;
  let twoLayers = false;
  let depth = 0;
  let properties = 0;
  let lastComma = -1;
  let commaBlanks = 0; // blanks.length when lastComma was set: where the comments after the comma begin
  let lastKeyIsLayers = false;
  let layersPending = false;
  let layersOpen = -1;
  let layersClose = -1;
  let layerStart = -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) continue;
    if (c === SLASH) {
      const d = text.charCodeAt(i + 1);
      let end: number;
      if (d === SLASH) {
        end = text.indexOf('\n', i + 2);
        if (end < 0) end = n;
      } else if (d === STAR) {
        end = text.indexOf('*/', i + 2);
        if (end < 0) return null;
        end += 2;
      } else return null;
      blanks.push(i, end);
      i = end - 1;
      continue;
    }
    // A trailing comma, blanked ahead of any comments between it and the bracket (blanks stay in order).
    if ((c === 125 || c === 93) && lastComma >= 0) blanks.splice(commaBlanks, 0, lastComma, lastComma + 1);
    lastComma = c === COMMA ? i : -1;
    commaBlanks = blanks.length;
    if (c === QUOTE) {
      // Jump to the closing quote: one not preceded by an odd number of backslashes.
      let q = i;
      for (;;) {
        q = text.indexOf('"', q + 1);
        if (q < 0) return null;
        let b = q - 1;
        while (text.charCodeAt(b) === 92) b--;
        if ((q - 1 - b) % 2 === 0) break;
      }
      lastKeyIsLayers = depth === 1 && q - i === 7 && text.startsWith('"layers"', i);
      i = q;
      continue;
    }
    if (c === COLON) {
      properties++;
      if (layerStart >= 0) inLayer++;
      layersPending = lastKeyIsLayers;
      lastKeyIsLayers = false;
      continue;
    }
    lastKeyIsLayers = false;
    if (c === 123 || c === 91) {
      if (++depth > maxNesting) return null;
      if (c === 91 && depth === 2 && layersPending) {
        // A second top-level "layers" array: JSON.parse keeps the last, the tree walk the first.
        if (layersOpen >= 0) twoLayers = true;
        else layersOpen = i;
      } else if (c === 123 && depth === 3 && layersOpen >= 0 && layersClose < 0) layerStart = i;
    } else if (c === 125 || c === 93) {
      if (c === 125 && depth === 3 && layerStart >= 0) {
        layerRanges.push({ offset: layerStart, length: i + 1 - layerStart });
        layerProperties.push(inLayer);
        inLayer = 0;
        layerStart = -1;
      } else if (c === 93 && depth === 2 && layersOpen >= 0 && layersClose < 0) layersClose = i;
      depth--;
    }
    layersPending = false;
  }
  let json = text;
  if (blanks.length > 0) {
    const parts: string[] = [];
    let at = 0;
    for (let k = 0; k < blanks.length; k += 2) {
      parts.push(text.slice(at, blanks[k]), ' '.repeat(blanks[k + 1] - blanks[k]));
      at = blanks[k + 1];
    }
    parts.push(text.slice(at));
    json = parts.join('');
  }
  return { json, layerRanges, layersOpen, layersClose, properties, layerProperties, twoLayers };
}

/** Counts the properties it passes, to compare with the scan's colons. */
class Checker {
  properties = 0;

  object(v: unknown, def: ObjectDef, layerType = false): Values | null {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
    const byName = fieldsByName(def);
    const out: Values = {};
    const given = v as Values;
    for (const key in given) {
      this.properties++;
      if (layerType && key === 'type') continue;
      const field = byName.get(key);
      if (!field) return null;
      const value = given[key];
      const t = field.type;
      if (t.kind === 'object') {
        const o = this.object(value, t.object);
        if (!o) return null;
        out[key] = o;
      } else if (t.kind === 'layers') {
        const l = this.layers(value);
        if (!l) return null;
        out[key] = l;
      } else if (fits(t, value)) out[key] = value;
      else return null;
    }
    for (const f of def.fields) if (f.required && !Object.prototype.hasOwnProperty.call(given, f.name)) return null;
    return out;
  }

  layers(v: unknown): LayerSpec[] | null {
    if (!Array.isArray(v) || v.length === 0) return null;
    const layers: LayerSpec[] = [];
    for (const item of v as unknown[]) {
      const layer = this.layer(item);
      if (!layer) return null;
      layers.push(layer);
    }
    return layers;
  }

  layer(item: unknown): LayerSpec | null {
    const type = (item as Values | null)?.type;
    if (typeof type !== 'string' || !(LAYER_TYPES as readonly string[]).includes(type)) return null;
    const t = type as keyof typeof LAYER_DEFS;
    const values = this.object(item, LAYER_DEFS[t], true);
    return values ? layerSpec(t, values) : null;
  }
}

/**
 * The values and layer positions of a file without problems in its syntax or fields; 'syntax' when
 * the text is not JSON once comments and trailing commas are blanked (or nests too deep); a
 * QuickFailure naming the failing layers when only values are wrong and every layer is an object;
 * else null (the tree walk finds out).
 */
export function quickParse(text: string, maxNesting: number): QuickParse | QuickFailure | 'syntax' | null {
  const s = scan(text, maxNesting);
  if (!s) return 'syntax';
  let parsed: unknown;
  try {
    parsed = JSON.parse(s.json);
  } catch {
    return 'syntax';
  }
  if (s.layersOpen < 0 || s.layersClose < 0 || s.twoLayers) return null;
  const check = new Checker();
  const values = check.object(parsed, ROOT_DEF);
  const inner = s.layersClose - s.layersOpen - 1;
  const withoutLayers = text.slice(0, s.layersOpen + 1) + ' '.repeat(inner) + text.slice(s.layersClose);
  if (values && check.properties === s.properties && (values.layers as LayerSpec[]).length === s.layerRanges.length)
    return { values, layerRanges: s.layerRanges, withoutLayers };
  return failure(parsed, s, withoutLayers);
}

/** Which layers fail, when the top-level `layers` is an array of objects only (else null: the whole tree walk). */
function failure(parsed: unknown, s: Scan, withoutLayers: string): QuickFailure | null {
  const items = (parsed as Values | null)?.layers;
  if (!Array.isArray(items) || items.length === 0 || items.length !== s.layerRanges.length) return null;
  const badLayers: number[] = [];
  for (let k = 0; k < items.length; k++) {
    const check = new Checker();
    if (!check.layer(items[k]) || check.properties !== s.layerProperties[k]) badLayers.push(k);
  }
  return { failed: true, badLayers, layerRanges: s.layerRanges, withoutLayers };
}
