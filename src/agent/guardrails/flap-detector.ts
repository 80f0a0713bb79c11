import { systemClock, type Clock } from './clock.js';

export interface FlapDetectorOptions {
  /** Reverts of one resource allowed within `windowMs`. */
  readonly maxReverts: number;
  readonly windowMs: number;
}

/**
 * Notices two writers fighting over a resource. Call `recordRevert` before each revert: up to
 * `maxReverts` within `windowMs` are `ok`; the next one is `conflicted` (do not revert) and the
 * resource stays conflicted until `clear` — e.g. when its manifest changes or someone resolves it.
 */
export class FlapDetector {
  private readonly reverts = new Map<string, number[]>();
  private readonly conflictedSet = new Set<string>();

  constructor(
    private readonly options: FlapDetectorOptions,
    private readonly clock: Clock = systemClock,
  ) {}

  recordRevert(address: string): 'ok' | 'conflicted' {
    if (this.conflictedSet.has(address)) return 'conflicted';
    const now = this.clock.now();
    const recent = (this.reverts.get(address) ?? []).filter((at) => now - at < this.options.windowMs);
    if (recent.length >= this.options.maxReverts) {
      this.conflictedSet.add(address);
      this.reverts.delete(address);
      return 'conflicted';
    }
    recent.push(now);
    this.reverts.set(address, recent);
    return 'ok';
  }

  isConflicted(address: string): boolean {
    return this.conflictedSet.has(address);
  }

  clear(address: string): void {
    this.conflictedSet.delete(address);
    this.reverts.delete(address);
  }

  /** Every resource currently conflicted, sorted. */
  conflicted(): readonly string[] {
    return [...this.conflictedSet].sort();
  }
}
