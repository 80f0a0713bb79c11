import { Environment, type ASTNode } from '@marcbachmann/cel-js';

/** The parsed form of a CEL expression, for static checks (see references.ts). */
export type CelNode = ASTNode;

/** A CEL expression parsed once and evaluated many times. */
export interface CompiledCel {
  readonly text: string;
  readonly ast: CelNode;
  evaluate(bindings: Readonly<Record<string, unknown>>): unknown;
}

export type CelCompileResult =
  | { readonly ok: true; readonly expression: CompiledCel }
  | { readonly ok: false; readonly message: string; /** 0-based offset in the expression */ readonly offset?: number };

export type CelEvaluation = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string };

const environment = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });

function offsetOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'range' in error) {
    const range = (error as { range?: { start?: number } }).range;
    if (typeof range?.start === 'number') return range.start;
  }
  return undefined;
}

function summaryOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'summary' in error && typeof (error as { summary: unknown }).summary === 'string') {
    return (error as { summary: string }).summary;
  }
  return error instanceof Error ? error.message.split('\n')[0] ?? error.message : String(error);
}

/** Parses a CEL expression with the maintained `@marcbachmann/cel-js` implementation. */
export function compileCel(text: string): CelCompileResult {
  try {
    const program = environment.parse(text);
    return { ok: true, expression: { text, ast: program.ast, evaluate: (bindings) => program(bindings as Record<string, unknown>) } };
  } catch (error) {
    return { ok: false, message: summaryOf(error), offset: offsetOf(error) };
  }
}

/** Evaluates, turning runtime errors (e.g. a missing field without `has()`) into a result. */
export function evaluateCel(expression: CompiledCel, bindings: Readonly<Record<string, unknown>>): CelEvaluation {
  try {
    return { ok: true, value: expression.evaluate(bindings) };
  } catch (error) {
    return { ok: false, message: summaryOf(error) };
  }
}
