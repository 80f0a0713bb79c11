import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './circuit-breaker.js';
import { ManualClock } from './clock.js';

describe('CircuitBreaker', () => {
  it('opens after consecutive failures, a success in between resets the count', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 3, openMs: 1000 }, new ManualClock());
    breaker.recordFailure();
    breaker.recordFailure();
    breaker.recordSuccess();
    breaker.recordFailure();
    breaker.recordFailure();
    expect(breaker.state()).toBe('closed');
    expect(breaker.canPass()).toBe(true);
    breaker.recordFailure();
    expect(breaker.state()).toBe('open');
    expect(breaker.canPass()).toBe(false);
  });

  it('lets exactly one probe through when half-open; its success closes the breaker', () => {
    const clock = new ManualClock();
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 1000 }, clock);
    breaker.recordFailure();
    clock.advance(999);
    expect(breaker.state()).toBe('open');
    clock.advance(1);
    expect(breaker.state()).toBe('half-open');
    expect(breaker.canPass()).toBe(true);
    expect(breaker.canPass()).toBe(false);
    breaker.recordSuccess();
    expect(breaker.state()).toBe('closed');
    expect([breaker.canPass(), breaker.canPass()]).toEqual([true, true]);
  });

  it('opens again for a full period when the probe fails', () => {
    const clock = new ManualClock();
    const breaker = new CircuitBreaker({ failureThreshold: 2, openMs: 1000 }, clock);
    breaker.recordFailure();
    breaker.recordFailure();
    clock.advance(1500);
    expect(breaker.canPass()).toBe(true);
    breaker.recordFailure();
    expect(breaker.state()).toBe('open');
    clock.advance(999);
    expect(breaker.canPass()).toBe(false);
    clock.advance(1);
    expect(breaker.canPass()).toBe(true);
  });
});
