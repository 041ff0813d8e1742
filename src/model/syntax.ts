// Syntax errors as the user reads them, and a recursion-free pre-pass over files the fast tree
// builder refused (jsonc-parser, which then names each error, recurses on nesting).

import { createScanner } from 'jsonc-parser';
import type { SourceRange } from './positions';

export const SYNTAX_MESSAGES: Record<string, string> = {
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
export function scanStructure(text: string, maxNesting: number): { empty: boolean; tooDeep: SourceRange | null } {
  const scanner = createScanner(text, false);
  let depth = 0;
  let empty = true;
  for (let kind: number = scanner.scan(); kind !== TOKEN.eof; kind = scanner.scan()) {
    if (kind === TOKEN.trivia || kind === TOKEN.lineBreak || kind === TOKEN.lineComment || kind === TOKEN.blockComment) continue;
    empty = false;
    if (kind === TOKEN.openBrace || kind === TOKEN.openBracket) {
      if (++depth > maxNesting) return { empty, tooDeep: { offset: scanner.getTokenOffset(), length: 1 } };
    } else if (kind === TOKEN.closeBrace || kind === TOKEN.closeBracket) {
      depth = Math.max(0, depth - 1);
    }
  }
  return { empty, tooDeep: null };
}
