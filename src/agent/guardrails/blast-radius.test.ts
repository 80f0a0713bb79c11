import { describe, expect, it } from 'vitest';
import { BlastRadius } from './blast-radius.js';
import { ManualClock } from './clock.js';

describe('BlastRadius', () => {
  it('counts distinct resources per cycle and starts over with each cycle', () => {
    const clock = new ManualClock();
    const radius = new BlastRadius({ maxPerCycle: 2, maxPerHour: 100 }, clock);
    expect(radius.tryCount('a')).toEqual({ ok: true });
    expect(radius.tryCount('a')).toEqual({ ok: true });
    expect(radius.tryCount('b')).toEqual({ ok: true });
    const refused = radius.tryCount('c');
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.reason).toMatch(/2 resources already changed this cycle \(limit 2\)/);
    radius.startCycle();
    expect(radius.tryCount('c')).toEqual({ ok: true });
  });

  it('counts distinct resources per sliding hour across cycles', () => {
    const clock = new ManualClock();
    const radius = new BlastRadius({ maxPerCycle: 10, maxPerHour: 3 }, clock);
    for (const address of ['a', 'b', 'c']) {
      radius.startCycle();
      expect(radius.tryCount(address).ok).toBe(true);
      clock.advance(10 * 60_000);
    }
    radius.startCycle();
    const refused = radius.tryCount('d');
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.reason).toMatch(/in the last hour \(limit 3\)/);
    expect(radius.tryCount('b').ok).toBe(true);
    expect(radius.counts()).toEqual({ cycle: 1, hour: 3 });
    // 'a' was counted at 0 and is an hour old at 60 minutes; 'b' was counted again just now.
    clock.advance(30 * 60_000);
    expect(radius.tryCount('d').ok).toBe(true);
    expect(radius.counts()).toEqual({ cycle: 2, hour: 3 });
  });
});
