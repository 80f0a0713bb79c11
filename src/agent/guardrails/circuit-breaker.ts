import { systemClock, type Clock } from './clock.js';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. */
  readonly failureThreshold: number;
  /** How long it stays open before letting one probe through. */
  readonly openMs: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * One per provider instance. Closed: everything passes. `failureThreshold` consecutive failures
 * open it: nothing passes for `openMs`. Then half-open: exactly one probe passes; its success
 * closes the breaker, its failure opens it again for another `openMs`.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | undefined;
  private probing = false;

  constructor(
    private readonly options: CircuitBreakerOptions,
    private readonly clock: Clock = systemClock,
  ) {}

  state(): BreakerState {
    if (this.openedAt === undefined) return 'closed';
    return this.clock.now() - this.openedAt >= this.options.openMs ? 'half-open' : 'open';
  }

  /** Whether a call may go ahead; in half-open this is true once, for the probe. */
  canPass(): boolean {
    const state = this.state();
    if (state === 'closed') return true;
    if (state === 'open' || this.probing) return false;
    this.probing = true;
    return true;
  }

  recordSuccess(): void {
    this.failures = 0;
    this.openedAt = undefined;
    this.probing = false;
  }

  recordFailure(): void {
    this.failures += 1;
    if (this.state() === 'half-open' || this.failures >= this.options.failureThreshold) {
      this.openedAt = this.clock.now();
    }
    this.probing = false;
  }

  /** Consecutive failures since the last success. */
  consecutiveFailures(): number {
    return this.failures;
  }
}
