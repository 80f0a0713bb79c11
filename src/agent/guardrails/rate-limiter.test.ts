import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('limits each resource on its own', () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ perResource: { capacity: 2, refillPerSecond: 1 }, overall: { capacity: 100, refillPerSecond: 100 } }, clock);
    expect([limiter.tryAcquire('a'), limiter.tryAcquire('a'), limiter.tryAcquire('a')]).toEqual([true, true, false]);
    expect(limiter.limitedBy('a')).toBe('resource');
    expect(limiter.tryAcquire('b')).toBe(true);
    clock.advance(1000);
    expect(limiter.tryAcquire('a')).toBe(true);
  });

  it('limits all resources together, charging neither bucket on refusal', () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ perResource: { capacity: 1, refillPerSecond: 0.001 }, overall: { capacity: 2, refillPerSecond: 1 } }, clock);
    expect([limiter.tryAcquire('a'), limiter.tryAcquire('b'), limiter.tryAcquire('c')]).toEqual([true, true, false]);
    expect(limiter.limitedBy('c')).toBe('overall');
    clock.advance(1000);
    // c's own token was not spent by the refusal above.
    expect(limiter.tryAcquire('c')).toBe(true);
    expect(limiter.limitedBy('d')).toBe('overall');
  });

  it('forgets full per-resource buckets without changing behaviour', () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ perResource: { capacity: 1, refillPerSecond: 1 }, overall: { capacity: 1e6, refillPerSecond: 1e6 } }, clock);
    for (let i = 0; i < 3000; i++) expect(limiter.tryAcquire(`r${i}`)).toBe(true);
    expect(limiter.tryAcquire('r2999')).toBe(false);
    clock.advance(1000);
    for (let i = 0; i < 3000; i++) expect(limiter.tryAcquire(`s${i}`)).toBe(true);
    expect(limiter.tryAcquire('r0')).toBe(true);
    expect(limiter.tryAcquire('r0')).toBe(false);
  });
});
