// The tokens of the debugger's expression language: numbers, names, operators and brackets, each
// with the offset where it starts so every error can point at the exact character.

export type TokenKind = 'number' | 'name' | 'op' | 'end';

export interface Token {
  kind: TokenKind;
  text: string;
  /** 0-based offset into the expression. */
  offset: number;
  value?: number;
}

/** A problem in an expression, with the range it is about (0-based offset, length ≥ 1). */
export class ExprError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly length = 1,
  ) {
    super(message);
  }

  /** `message (column c)`, the form shown beside a breakpoint or in the Debug Console. */
  describe(): string {
    return `${this.message} (column ${this.offset + 1})`;
  }
}

const OPERATORS = ['&&', '||', '==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '%', '!', '(', ')', '[', ']', ',', '.', ':'];

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const num = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (num) {
      tokens.push({ kind: 'number', text: num[0], offset: i, value: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(text.slice(i));
    if (name) {
      tokens.push({ kind: 'name', text: name[0], offset: i });
      i += name[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op) {
      tokens.push({ kind: 'op', text: op, offset: i });
      i += op.length;
      continue;
    }
    if (c === '=') throw new ExprError('unexpected "=": compare with "==" (assignments are not allowed)', i);
    if (c === '&' || c === '|') throw new ExprError(`unexpected "${c}": write "${c}${c}"`, i);
    throw new ExprError(`unexpected character "${c}"`, i);
  }
  tokens.push({ kind: 'end', text: '', offset: text.length });
  return tokens;
}
