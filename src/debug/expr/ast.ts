// The syntax tree of an expression. Every node keeps its source range for positioned errors.

export interface Range {
  offset: number;
  length: number;
}

export type Expr =
  | { type: 'number'; value: number; range: Range }
  | { type: 'name'; name: string; range: Range }
  | { type: 'unary'; op: '-' | '!' | '+'; operand: Expr; range: Range }
  | { type: 'binary'; op: string; left: Expr; right: Expr; range: Range }
  | { type: 'call'; callee: string; args: Expr[]; range: Range }
  | { type: 'member'; object: Expr; name: string; range: Range }
  | { type: 'method'; object: Expr; name: string; args: Expr[]; range: Range }
  | { type: 'index'; object: Expr; indices: IndexPart[]; range: Range };

/** One position of an index: `3`, or a slice `0:4`, `:4`, `2:`, `:`. */
export type IndexPart = { type: 'at'; value: Expr } | { type: 'slice'; start: Expr | null; end: Expr | null; range: Range };

/** Every name an expression reads (not function or method names). */
export function namesIn(e: Expr): { name: string; range: Range }[] {
  switch (e.type) {
    case 'number':
      return [];
    case 'name':
      return [{ name: e.name, range: e.range }];
    case 'unary':
      return namesIn(e.operand);
    case 'binary':
      return [...namesIn(e.left), ...namesIn(e.right)];
    case 'call':
      return e.args.flatMap(namesIn);
    case 'member':
      return namesIn(e.object);
    case 'method':
      return [...namesIn(e.object), ...e.args.flatMap(namesIn)];
    case 'index':
      return [
        ...namesIn(e.object),
        ...e.indices.flatMap((p) =>
          p.type === 'at' ? namesIn(p.value) : [p.start, p.end].flatMap((x) => (x ? namesIn(x) : [])),
        ),
      ];
  }
}
