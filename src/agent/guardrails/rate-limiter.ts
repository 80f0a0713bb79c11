import { systemClock, type Clock } from './clock.js';
import { TokenBucket, type TokenBucketOptions } from './token-bucket.js';

export interface RateLimiterOptions {
  readonly perResource: TokenBucketOptions;
  readonly overall: TokenBucketOptions;
}

/** Buckets kept per resource before full ones are forgotten (a full bucket and no bucket behave alike). */
const PRUNE_AT = 1024;

/**
 * Two token buckets: one per resource address and one for everything. A change passes only when
 * both have a token; when one refuses, neither is charged.
 */
export class RateLimiter {
  private readonly overall: TokenBucket;
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly options: RateLimiterOptions,
    private readonly clock: Clock = systemClock,
  ) {
    this.overall = new TokenBucket(options.overall, clock);
  }

  tryAcquire(address: string): boolean {
    const bucket = this.bucketFor(address);
    if (bucket.available() < 1 || this.overall.available() < 1) return false;
    bucket.tryTake();
    this.overall.tryTake();
    return true;
  }

  /** Which limit refuses `address` now, if any, without taking a token. */
  limitedBy(address: string): 'resource' | 'overall' | undefined {
    if ((this.buckets.get(address)?.available() ?? this.options.perResource.capacity) < 1) return 'resource';
    if (this.overall.available() < 1) return 'overall';
    return undefined;
  }

  private bucketFor(address: string): TokenBucket {
    let bucket = this.buckets.get(address);
    if (bucket) return bucket;
    if (this.buckets.size >= PRUNE_AT) {
      for (const [key, value] of this.buckets) if (value.isFull()) this.buckets.delete(key);
    }
    bucket = new TokenBucket(this.options.perResource, this.clock);
    this.buckets.set(address, bucket);
    return bucket;
  }
}
