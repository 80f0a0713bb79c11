import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { FlapDetector } from './flap-detector.js';

describe('FlapDetector', () => {
  it('allows the budget of reverts, then marks the resource conflicted until cleared', () => {
    const clock = new ManualClock();
    const flaps = new FlapDetector({ maxReverts: 3, windowMs: 600_000 }, clock);
    const results = [1, 2, 3, 4].map(() => {
      clock.advance(60_000);
      return flaps.recordRevert('PostgresGrant/app');
    });
    expect(results).toEqual(['ok', 'ok', 'ok', 'conflicted']);
    expect(flaps.isConflicted('PostgresGrant/app')).toBe(true);
    expect(flaps.isConflicted('PostgresGrant/other')).toBe(false);
    // Staying conflicted does not depend on time passing.
    clock.advance(3_600_000);
    expect(flaps.recordRevert('PostgresGrant/app')).toBe('conflicted');
    expect(flaps.conflicted()).toEqual(['PostgresGrant/app']);
    flaps.clear('PostgresGrant/app');
    expect(flaps.isConflicted('PostgresGrant/app')).toBe(false);
    expect(flaps.recordRevert('PostgresGrant/app')).toBe('ok');
  });

  it('forgets reverts older than the window', () => {
    const clock = new ManualClock();
    const flaps = new FlapDetector({ maxReverts: 2, windowMs: 1000 }, clock);
    expect(flaps.recordRevert('a')).toBe('ok');
    clock.advance(600);
    expect(flaps.recordRevert('a')).toBe('ok');
    clock.advance(400);
    expect(flaps.recordRevert('a')).toBe('ok');
    clock.advance(100);
    expect(flaps.recordRevert('a')).toBe('conflicted');
  });
});
