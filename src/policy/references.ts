import type { CelNode } from './cel.js';

/** A field path a CEL expression reads, starting at one of its free variables. */
export interface FieldReference {
  /** The variable the path starts at, e.g. `resource`. */
  readonly root: string;
  /** Static segments only: `resource.metadata.annotations[key]` stops before `[key]`. */
  readonly path: readonly string[];
  /** 0-based offset of the access in the expression. */
  readonly offset: number;
}

export interface ExpressionReferences {
  /** Free identifiers: variables the expression expects to be bound. */
  readonly variables: ReadonlySet<string>;
  readonly fields: readonly FieldReference[];
}

/** Comprehension macros: their first argument (and the second, in two-variable forms) names a local variable. */
const COMPREHENSIONS: ReadonlySet<string> = new Set(['all', 'exists', 'exists_one', 'map', 'filter', 'transformList', 'transformMap']);

function isId(node: CelNode | undefined): node is Extract<CelNode, { op: 'id' }> {
  return node !== undefined && node.op === 'id';
}

/**
 * What an expression reads, found by walking its syntax tree without evaluating it. Used to
 * report misspelt variables and fields when a rule is loaded rather than when it first matches.
 */
export function referencesOf(ast: CelNode): ExpressionReferences {
  const variables = new Set<string>();
  const fields: FieldReference[] = [];

  const visitAccess = (node: CelNode, bound: ReadonlySet<string>): void => {
    let segments: string[] = [];
    const dynamic: CelNode[] = [];
    let current: CelNode = node;
    for (;;) {
      if (current.op === '.' || current.op === '.?') {
        segments.unshift(current.args[1]);
        current = current.args[0];
      } else if (current.op === '[]' || current.op === '[?]') {
        const index = current.args[1];
        if (index.op === 'value' && typeof index.args === 'string') segments.unshift(index.args);
        else {
          // A computed index: nothing after it can be checked statically.
          segments = [];
          dynamic.push(index);
        }
        current = current.args[0];
      } else break;
    }
    if (isId(current) && !bound.has(current.args)) {
      variables.add(current.args);
      fields.push({ root: current.args, path: segments, offset: node.start });
    } else visit(current, bound);
    for (const d of dynamic) visit(d, bound);
  };

  const visit = (node: CelNode, bound: ReadonlySet<string>): void => {
    switch (node.op) {
      case 'value':
        return;
      case 'id':
        if (!bound.has(node.args)) variables.add(node.args);
        return;
      case '.':
      case '.?':
      case '[]':
      case '[?]':
        return visitAccess(node, bound);
      case 'call':
        for (const arg of node.args[1]) visit(arg, bound);
        return;
      case 'rcall': {
        const [method, receiver, args] = node.args;
        const inner = new Set(bound);
        let locals = 0;
        if (isId(receiver) && receiver.args === 'cel' && method === 'bind' && isId(args[0])) {
          inner.add(args[0].args);
          for (const arg of args.slice(1)) visit(arg, inner);
          return;
        }
        if (COMPREHENSIONS.has(method) && isId(args[0])) {
          inner.add(args[0].args);
          locals = 1;
          if (args.length === 3 && isId(args[1]) && method !== 'map' && method !== 'filter') {
            inner.add(args[1].args);
            locals = 2;
          }
        }
        visit(receiver, bound);
        for (const arg of args.slice(locals)) visit(arg, inner);
        return;
      }
      case 'list':
        for (const item of node.args) visit(item, bound);
        return;
      case 'map':
        for (const [key, value] of node.args) {
          visit(key, bound);
          visit(value, bound);
        }
        return;
      case '?:':
        for (const part of node.args) visit(part, bound);
        return;
      case '!_':
      case '-_':
        return visit(node.args, bound);
      default:
        for (const part of node.args) visit(part, bound);
    }
  };

  visit(ast, new Set());
  return { variables, fields };
}
