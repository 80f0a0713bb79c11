import { systemClock, type Clock } from './clock.js';

export interface TokenBucketOptions {
  /** Most tokens held at once: the burst allowed after a quiet period. */
  readonly capacity: number;
  /** Tokens added per second, continuously, up to `capacity`. */
  readonly refillPerSecond: number;
}

/** A token bucket that starts full. */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly options: TokenBucketOptions,
    private readonly clock: Clock = systemClock,
  ) {
    if (!(options.capacity > 0)) throw new RangeError('a token bucket needs a capacity above 0');
    if (!(options.refillPerSecond >= 0)) throw new RangeError('a token bucket cannot refill at a negative rate');
    this.tokens = options.capacity;
    this.refilledAt = clock.now();
  }

  /** Tokens available now (fractional while refilling). */
  available(): number {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.refilledAt);
    this.tokens = Math.min(this.options.capacity, this.tokens + (elapsed / 1000) * this.options.refillPerSecond);
    this.refilledAt = now;
    return this.tokens;
  }

  /** Takes `n` tokens if that many are available; otherwise takes none and returns false. */
  tryTake(n = 1): boolean {
    if (this.available() < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Whether the bucket is back to full, i.e. forgetting it changes nothing. */
  isFull(): boolean {
    return this.available() >= this.options.capacity;
  }

  /** Milliseconds until `n` tokens are available (0 if they are now; Infinity if they never will be). */
  msUntil(n = 1): number {
    const missing = n - this.available();
    if (missing <= 0) return 0;
    if (n > this.options.capacity || this.options.refillPerSecond === 0) return Number.POSITIVE_INFINITY;
    return Math.ceil((missing / this.options.refillPerSecond) * 1000);
  }
}
