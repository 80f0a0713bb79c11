import type { PlannedChange } from '../core/index.js';

/** Errors that may go away by themselves: connections, timeouts, lock contention, serialisation. */
const TRANSIENT = /connect|timeout|timed out|lock|terminat|ECONN|EPIPE|deadlock|could not serialize|too many connections|canceling statement|shutting down|not yet accepting|breaker|held back/i;

export function isTransient(message: string): boolean {
  return TRANSIENT.test(message);
}

interface Entry {
  attempts: number;
  nextAt: number;
  /** A terminal failure of exactly this planned change (hash): not retried until it changes. */
  terminal?: { readonly hash: string; readonly error: string };
}

export interface RetryDecision {
  readonly kind: 'transient' | 'terminal';
  /** For transient errors: when the resource is tried again. */
  readonly delayMs?: number;
}

/**
 * Per-resource retry bookkeeping. A transient failure backs off exponentially with jitter
 * (base 1 s, cap `maxMs`); a terminal one is not retried until the planned change is different
 * (the manifest or the live resource changed), or `forget` is called (the manifests reloaded).
 */
export class RetryBook {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly options: { readonly baseMs: number; readonly maxMs: number; readonly now?: () => number; readonly random?: () => number } = { baseMs: 1000, maxMs: 300_000 },
  ) {}

  #now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Why the change must wait, or undefined. */
  blocked(address: string, hash: string): string | undefined {
    const entry = this.#entries.get(address);
    if (!entry) return undefined;
    if (entry.terminal) {
      if (entry.terminal.hash === hash) return `it failed terminally (${entry.terminal.error}); not retried until the resource or its manifest changes`;
      this.#entries.delete(address);
      return undefined;
    }
    const wait = entry.nextAt - this.#now();
    return wait > 0 ? `backing off after ${entry.attempts} failure(s); next try in ${Math.ceil(wait)} ms` : undefined;
  }

  failed(change: PlannedChange, hash: string, error: string): RetryDecision {
    const entry = this.#entries.get(change.address) ?? { attempts: 0, nextAt: 0 };
    entry.attempts += 1;
    if (!isTransient(error)) {
      entry.terminal = { hash, error };
      this.#entries.set(change.address, entry);
      return { kind: 'terminal' };
    }
    const ceiling = Math.min(this.options.maxMs, this.options.baseMs * 2 ** Math.min(entry.attempts - 1, 20));
    const delayMs = Math.round(ceiling * (0.5 + (this.options.random ?? Math.random)() * 0.5));
    entry.nextAt = this.#now() + delayMs;
    this.#entries.set(change.address, entry);
    return { kind: 'transient', delayMs };
  }

  succeeded(address: string): void {
    this.#entries.delete(address);
  }

  /** The manifests changed: terminal failures get another chance. */
  forgetTerminal(): void {
    for (const [address, entry] of this.#entries) if (entry.terminal) this.#entries.delete(address);
  }

  /** When the earliest backing-off resource may be tried again (ms from now), if any. */
  nextRetryInMs(): number | undefined {
    const now = this.#now();
    const times = [...this.#entries.values()].filter((e) => !e.terminal).map((e) => Math.max(0, e.nextAt - now));
    return times.length === 0 ? undefined : Math.min(...times);
  }
}
