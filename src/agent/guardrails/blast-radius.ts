import { systemClock, type Clock } from './clock.js';

export interface BlastRadiusOptions {
  /** Most distinct resources changed in one reconcile cycle. */
  readonly maxPerCycle: number;
  /** Most distinct resources changed in any sliding hour. */
  readonly maxPerHour: number;
}

export type BlastRadiusResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const HOUR_MS = 3_600_000;

/**
 * Counts the distinct resources changed per cycle and per sliding hour. A resource already
 * counted (in this cycle, or within the hour) is not counted again. A refusal is the caller's cue
 * to pause the scope and raise an alert.
 */
export class BlastRadius {
  private cycle = new Set<string>();
  /** Address → when it was last counted; only entries younger than an hour matter. */
  private readonly hour = new Map<string, number>();

  constructor(
    private readonly options: BlastRadiusOptions,
    private readonly clock: Clock = systemClock,
  ) {}

  startCycle(): void {
    this.cycle = new Set();
  }

  tryCount(address: string): BlastRadiusResult {
    const now = this.clock.now();
    this.forgetBefore(now - HOUR_MS);
    const inCycle = this.cycle.has(address);
    const inHour = this.hour.has(address);
    if (!inCycle && this.cycle.size >= this.options.maxPerCycle) {
      return { ok: false, reason: `blast radius: ${this.cycle.size} resources already changed this cycle (limit ${this.options.maxPerCycle})` };
    }
    if (!inHour && this.hour.size >= this.options.maxPerHour) {
      return { ok: false, reason: `blast radius: ${this.hour.size} resources already changed in the last hour (limit ${this.options.maxPerHour})` };
    }
    this.cycle.add(address);
    this.hour.delete(address);
    this.hour.set(address, now);
    return { ok: true };
  }

  /** Distinct resources counted in this cycle and in the last hour. */
  counts(): { readonly cycle: number; readonly hour: number } {
    this.forgetBefore(this.clock.now() - HOUR_MS);
    return { cycle: this.cycle.size, hour: this.hour.size };
  }

  private forgetBefore(cutoff: number): void {
    // The map is in insertion order and re-counting moves an address to the end, so it is ordered by time.
    for (const [address, at] of this.hour) {
      if (at > cutoff) break;
      this.hour.delete(address);
    }
  }
}
