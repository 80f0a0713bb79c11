/**
 * Coalesces reasons to run a cycle: requests arriving while a cycle runs are remembered and
 * answered by one more cycle afterwards; waiting ends at the first request, the timeout or abort.
 */
export class Wakeup {
  readonly #reasons = new Set<string>();
  #notify: (() => void) | undefined;
  readonly #timers = new Set<NodeJS.Timeout>();
  #since: number | undefined;

  /** When the oldest pending request arrived (performance.now()); set by `wait`'s return. */
  signalledAt = 0;

  request(reason: string): void {
    this.#since ??= performance.now();
    this.#reasons.add(reason);
    this.#notify?.();
  }

  requestAfter(delayMs: number, reason: string): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.request(reason);
    }, delayMs);
    this.#timers.add(timer);
  }

  /** The reasons gathered (or `timeoutReason` when the wait ran out); empty when aborted. */
  async wait(timeoutMs: number, timeoutReason: string, signal: AbortSignal): Promise<readonly string[]> {
    if (this.#reasons.size === 0 && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          this.#notify = undefined;
          resolve();
        };
        const timer = setTimeout(() => {
          this.#since ??= performance.now();
          this.#reasons.add(timeoutReason);
          done();
        }, Math.max(0, timeoutMs));
        this.#notify = done;
        signal.addEventListener('abort', done);
      });
    }
    if (signal.aborted) return [];
    const reasons = [...this.#reasons];
    this.#reasons.clear();
    this.signalledAt = this.#since ?? performance.now();
    this.#since = undefined;
    return reasons;
  }

  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#notify?.();
  }
}
