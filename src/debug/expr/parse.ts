// A recursive-descent parser for the expression language (no eval anywhere):
//   or      := and ('||' and)*
//   and     := not ('&&' not)*
//   compare := sum (('<' | '<=' | '>' | '>=' | '==' | '!=') sum)?
//   sum     := product (('+' | '-') product)*
//   product := unary (('*' | '/' | '%') unary)*
//   unary   := ('-' | '+' | '!') unary | postfix
//   postfix := primary ('.' name ('(' args ')')? | '[' index (',' index)* ']')*
//   primary := number | name | name '(' args ')' | '(' or ')'

import type { Expr, IndexPart, Range } from './ast';
import { ExprError, tokenize, type Token } from './tokenize';

export function parseExpression(text: string): Expr {
  const p = new Parser(tokenize(text));
  if (p.peek().kind === 'end') throw new ExprError('the expression is empty', 0);
  const e = p.or();
  const rest = p.peek();
  if (rest.kind !== 'end')
    throw new ExprError(`unexpected "${rest.text}" after a complete expression`, rest.offset, rest.text.length);
  return e;
}

const COMPARISONS = new Set(['<', '<=', '>', '>=', '==', '!=']);

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  peek(): Token {
    return this.tokens[this.i];
  }
  private next(): Token {
    return this.tokens[this.i++];
  }
  private isOp(text: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.text === text;
  }
  private expect(text: string, what: string): Token {
    const t = this.peek();
    if (t.kind === 'op' && t.text === text) return this.next();
    throw new ExprError(`expected "${text}" ${what}, got ${describe(t)}`, t.offset, Math.max(1, t.text.length));
  }

  or(): Expr {
    return this.chain(['||'], () => this.and());
  }
  private and(): Expr {
    return this.chain(['&&'], () => this.compare());
  }

  private compare(): Expr {
    const left = this.sum();
    const t = this.peek();
    if (t.kind === 'op' && COMPARISONS.has(t.text)) {
      this.next();
      const right = this.sum();
      const after = this.peek();
      if (after.kind === 'op' && COMPARISONS.has(after.text)) {
        throw new ExprError(
          `comparisons do not chain: write "a ${t.text} b && b ${after.text} c"`,
          after.offset,
          after.text.length,
        );
      }
      return { type: 'binary', op: t.text, left, right, range: span(left.range, right.range) };
    }
    return left;
  }

  private sum(): Expr {
    return this.chain(['+', '-'], () => this.product());
  }
  private product(): Expr {
    return this.chain(['*', '/', '%'], () => this.unary());
  }

  private chain(ops: string[], operand: () => Expr): Expr {
    let left = operand();
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op' || !ops.includes(t.text)) return left;
      this.next();
      const right = operand();
      left = { type: 'binary', op: t.text, left, right, range: span(left.range, right.range) };
    }
  }

  private unary(): Expr {
    const t = this.peek();
    if (t.kind === 'op' && (t.text === '-' || t.text === '!' || t.text === '+')) {
      this.next();
      const operand = this.unary();
      return { type: 'unary', op: t.text, operand, range: span(rangeOf(t), operand.range) };
    }
    return this.postfix();
  }

  private postfix(): Expr {
    let e = this.primary();
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const name = this.next();
        if (name.kind !== 'name')
          throw new ExprError(`expected a name after ".", got ${describe(name)}`, name.offset, Math.max(1, name.text.length));
        if (this.isOp('(')) {
          const { args, close } = this.args();
          e = { type: 'method', object: e, name: name.text, args, range: span(e.range, rangeOf(close)) };
        } else {
          e = { type: 'member', object: e, name: name.text, range: span(e.range, rangeOf(name)) };
        }
      } else if (this.isOp('[')) {
        this.next();
        const indices: IndexPart[] = [this.indexPart()];
        while (this.isOp(',')) {
          this.next();
          indices.push(this.indexPart());
        }
        const close = this.expect(']', 'to close the index');
        e = { type: 'index', object: e, indices, range: span(e.range, rangeOf(close)) };
      } else {
        return e;
      }
    }
  }

  private indexPart(): IndexPart {
    const startTok = this.peek();
    const start = this.isOp(':') ? null : this.or();
    if (!this.isOp(':')) {
      if (!start) throw new ExprError('expected an index', startTok.offset);
      return { type: 'at', value: start };
    }
    const colon = this.next();
    const end = this.isOp(',') || this.isOp(']') ? null : this.or();
    return { type: 'slice', start, end, range: span(start?.range ?? rangeOf(colon), end?.range ?? rangeOf(colon)) };
  }

  private args(): { args: Expr[]; close: Token } {
    this.expect('(', 'to start the arguments');
    const args: Expr[] = [];
    if (!this.isOp(')')) {
      args.push(this.or());
      while (this.isOp(',')) {
        this.next();
        args.push(this.or());
      }
    }
    return { args, close: this.expect(')', 'to close the arguments') };
  }

  private primary(): Expr {
    const t = this.next();
    if (t.kind === 'number') {
      if (!Number.isFinite(t.value)) throw new ExprError(`the number ${t.text} is too large`, t.offset, t.text.length);
      return { type: 'number', value: t.value!, range: rangeOf(t) };
    }
    if (t.kind === 'name') {
      if (this.isOp('(')) {
        const { args, close } = this.args();
        return { type: 'call', callee: t.text, args, range: span(rangeOf(t), rangeOf(close)) };
      }
      return { type: 'name', name: t.text, range: rangeOf(t) };
    }
    if (t.kind === 'op' && t.text === '(') {
      const e = this.or();
      this.expect(')', 'to close the parenthesis');
      return e;
    }
    throw new ExprError(
      t.kind === 'end' ? 'the expression ends too early: expected a value' : `expected a value, got ${describe(t)}`,
      t.offset,
      Math.max(1, t.text.length),
    );
  }
}

function describe(t: Token): string {
  return t.kind === 'end' ? 'the end of the expression' : `"${t.text}"`;
}

function rangeOf(t: Token): Range {
  return { offset: t.offset, length: Math.max(1, t.text.length) };
}

function span(a: Range, b: Range): Range {
  return { offset: a.offset, length: b.offset + b.length - a.offset };
}
