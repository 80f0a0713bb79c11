import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('starts full, allows a burst of its capacity, then refills continuously', () => {
    const clock = new ManualClock(1000);
    const bucket = new TokenBucket({ capacity: 3, refillPerSecond: 2 }, clock);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, true, false]);
    expect(bucket.msUntil()).toBe(500);
    clock.advance(499);
    expect(bucket.tryTake()).toBe(false);
    clock.advance(1);
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
  });

  it('never holds more than its capacity however long it waits', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 1 }, clock);
    clock.advance(3_600_000);
    expect(bucket.available()).toBe(2);
    expect(bucket.isFull()).toBe(true);
  });

  it('takes several tokens at once or none', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ capacity: 5, refillPerSecond: 1 }, clock);
    expect(bucket.tryTake(4)).toBe(true);
    expect(bucket.tryTake(2)).toBe(false);
    expect(bucket.available()).toBe(1);
    expect(bucket.msUntil(6)).toBe(Number.POSITIVE_INFINITY);
  });

  it('refuses a capacity of zero', () => {
    expect(() => new TokenBucket({ capacity: 0, refillPerSecond: 1 })).toThrow(/capacity above 0/);
  });
});
