/**
 * Diagnostics are problems a user must fix in their input: each names where (file, line, column,
 * field path) and how to fix it. They are collected and reported together, never thrown one at a
 * time; operational failures use {@link StewardError} instead.
 */
export type DiagnosticSeverity = 'error' | 'warning';

export type DiagnosticCode =
  | 'io'
  | 'yaml-syntax'
  | 'not-a-mapping'
  | 'unknown-api-version'
  | 'unknown-kind'
  | 'missing-field'
  | 'unknown-field'
  | 'invalid-type'
  | 'invalid-value'
  | 'invalid-identifier'
  | 'literal-secret'
  | 'duplicate-name'
  | 'dangling-reference'
  | 'dependency-cycle'
  | 'protected-resource'
  | 'unsafe-delete'
  | 'orphaned-resource'
  | 'unresolved-reference'
  /** A change to a sensitive value, shown only as keyed hashes. */
  | 'sensitive-change'
  /** What applying does to Steward's own records (secrets, delivered files) beyond the plan's changes. */
  | 'identity-change'
  /** Identity work an apply left for a later run (e.g. a secret without a value). */
  | 'identity-pending'
  /** An earlier run was interrupted; apply re-observes and reconciles what it was doing. */
  | 'interrupted-run';

export interface SourceLocation {
  /** Path as the user would type it, relative to the project directory when inside it. */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

export type FieldPath = readonly (string | number)[];

export interface Diagnostic {
  readonly severity: DiagnosticSeverity;
  readonly code: DiagnosticCode;
  readonly summary: string;
  readonly detail?: string;
  /** How to fix it, phrased as an instruction. */
  readonly hint?: string;
  readonly location?: SourceLocation;
  /** Path of the offending field inside the document, e.g. `spec.connectionLimit`. */
  readonly path?: FieldPath;
  /** Address of the resource concerned, when there is one. */
  readonly address?: string;
}

export function formatFieldPath(path: FieldPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Removes exact repeats (same code, place and summary) while keeping the first-seen order. */
export function dedupeDiagnostics(diagnostics: readonly Diagnostic[]): readonly Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const d of diagnostics) {
    const key = JSON.stringify([d.code, d.summary, d.location, d.path, d.address]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

/** Orders diagnostics by file, then line, then column; those without a location go last. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): readonly Diagnostic[] {
  return [...diagnostics].sort((a, b) => {
    const la = a.location;
    const lb = b.location;
    if (!la && !lb) return 0;
    if (!la) return 1;
    if (!lb) return -1;
    const byFile = la.file < lb.file ? -1 : la.file > lb.file ? 1 : 0;
    return byFile || la.line - lb.line || la.column - lb.column;
  });
}
