import { StewardError, type ErrorKind } from '../../core/index.js';

/** SQLSTATE of a node-postgres error, if it is one. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** Connection loss, lock timeouts and serialisation failures may succeed on a later attempt. */
const TRANSIENT_CLASSES = ['08', '40', '53', '57P'];
const TRANSIENT_STATES = new Set(['55P03', '55006']);

export function classify(error: unknown): ErrorKind {
  const state = sqlState(error);
  if (state === undefined) return 'transient';
  if (TRANSIENT_STATES.has(state)) return 'transient';
  return TRANSIENT_CLASSES.some((c) => state.startsWith(c)) ? 'transient' : 'terminal';
}

/** Wraps a driver error with what Steward was doing, keeping the server's own words and hint. */
export function providerError(action: string, address: string, error: unknown, hint?: string): StewardError {
  const base = error instanceof Error ? error.message : String(error);
  const serverHint =
    typeof error === 'object' && error !== null && 'hint' in error && typeof (error as { hint: unknown }).hint === 'string'
      ? ` (${(error as { hint: string }).hint})`
      : '';
  const suffix = hint ? `; ${hint}` : '';
  return new StewardError('provider-failed', `${action} ${address} failed: ${base}${serverHint}${suffix}`, {
    kind: classify(error),
    cause: error,
  });
}
