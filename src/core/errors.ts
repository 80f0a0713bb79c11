import type { Diagnostic } from './diagnostics.js';

/**
 * Whether retrying can help: `transient` failures (a connection dropped, a lock was busy) may
 * succeed later; `terminal` ones (bad credentials, a rejected statement) will not until something
 * changes.
 */
export type ErrorKind = 'transient' | 'terminal';

export type ErrorCode =
  | 'invalid-input'
  | 'lock-timeout'
  | 'store-unavailable'
  | 'store-busy'
  | 'audit-write-failed'
  | 'audit-tampered'
  | 'provider-failed'
  | 'connection-failed'
  | 'not-found'
  | 'apply-failed'
  | 'aborted'
  | 'unresolved-intent'
  | 'internal';

/** An operational failure. Only the CLI maps these to exit codes. */
export class StewardError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;

  constructor(code: ErrorCode, message: string, options: { kind?: ErrorKind; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StewardError';
    this.code = code;
    this.kind = options.kind ?? 'terminal';
  }
}

/** Carries diagnostics for input the user must fix; the CLI prints them all and exits 1. */
export class DiagnosticsError extends Error {
  readonly diagnostics: readonly Diagnostic[];

  constructor(diagnostics: readonly Diagnostic[]) {
    super(`${diagnostics.length} problem(s) in the input`);
    this.name = 'DiagnosticsError';
    this.diagnostics = diagnostics;
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
