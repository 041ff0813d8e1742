// Logpoint messages: text with `{expression}` parts, each evaluated at the stop point.

import { evaluate } from './evaluate';
import { parseExpression } from './parse';
import { ExprError } from './tokenize';
import { formatValue, type Scope } from './values';

interface Part {
  text: string;
  offset: number;
  isExpr: boolean;
}

function split(message: string): Part[] {
  const parts: Part[] = [];
  let i = 0;
  while (i < message.length) {
    const open = message.indexOf('{', i);
    if (open < 0) {
      parts.push({ text: message.slice(i), offset: i, isExpr: false });
      break;
    }
    if (open > i) parts.push({ text: message.slice(i, open), offset: i, isExpr: false });
    const close = message.indexOf('}', open);
    if (close < 0) throw new ExprError('"{" is not closed with "}"', open);
    parts.push({ text: message.slice(open + 1, close), offset: open + 1, isExpr: true });
    i = close + 1;
  }
  return parts;
}

function shifted(e: unknown, by: number): unknown {
  return e instanceof ExprError ? new ExprError(e.message, e.offset + by, e.length) : e;
}

/** Throws a positioned ExprError (offset into the whole message) for a part that does not parse. */
export function checkLogMessage(message: string): void {
  for (const p of split(message)) {
    if (!p.isExpr) continue;
    try {
      parseExpression(p.text);
    } catch (e) {
      throw shifted(e, p.offset);
    }
  }
}

/** The message with every `{expression}` replaced by its value; a failing part shows its error inline. */
export function interpolate(message: string, scope: Scope): string {
  return split(message)
    .map((p) => {
      if (!p.isExpr) return p.text;
      try {
        return formatValue(evaluate(parseExpression(p.text), scope));
      } catch (e) {
        return e instanceof ExprError ? `<${e.message}>` : `<${String(e)}>`;
      }
    })
    .join('');
}
