import type { DesiredResource, PlannedChange } from '../core/index.js';
import { composeGuards, pauseGuard } from '../app/kill-switch.js';
import type { ResolvedGuardrails } from '../kinds/guardrails.js';
import type { Store } from '../store/index.js';
import type { CycleGuards } from './cycle-types.js';
import { BlastRadius, CircuitBreaker, FlapDetector, RateLimiter } from './guardrails/index.js';
import type { AgentLogger } from './logger.js';

/** What the loop reports about its guardrails (for metrics and status). */
export interface GuardrailEvents {
  breakerState?(target: string, state: 'closed' | 'open' | 'half-open'): void;
  conflicted?(address: string): void;
}

/**
 * The guardrails the agent acts within, kept across cycles: the kill switch (checked before every
 * mutation, re-read at most every 250 ms), rate limits, the blast radius (exceeding it pauses the
 * project and raises an alert), a circuit breaker per target, and flap detection.
 */
export class AgentGuardrails {
  readonly #rate: RateLimiter;
  readonly #blast: BlastRadius;
  readonly #flaps: FlapDetector;
  readonly #breakers = new Map<string, CircuitBreaker>();

  constructor(
    private readonly settings: ResolvedGuardrails,
    private readonly store: Store,
    private readonly actor: string,
    private readonly log: AgentLogger,
    private readonly events: GuardrailEvents = {},
  ) {
    this.#rate = new RateLimiter(settings.rateLimit);
    this.#blast = new BlastRadius(settings.blastRadius);
    this.#flaps = new FlapDetector(settings.flapping);
  }

  #breaker(target: string): CircuitBreaker {
    let breaker = this.#breakers.get(target);
    if (!breaker) {
      breaker = new CircuitBreaker(this.settings.breaker);
      this.#breakers.set(target, breaker);
    }
    return breaker;
  }

  /** A manifest changed: its resource gets a fresh flap budget. */
  manifestChanged(address: string): void {
    this.#flaps.clear(address);
  }

  conflicted(): readonly string[] {
    return this.#flaps.conflicted();
  }

  forCycle(resources: readonly DesiredResource[]): CycleGuards {
    const kill = pauseGuard(this.store, resources);
    const limits = async (change: PlannedChange): Promise<string | undefined> => {
      const breaker = this.#breaker(change.target);
      if (!breaker.canPass()) return `the circuit breaker of ${change.target} is open after repeated failures`;
      const blast = this.#blast.tryCount(change.address);
      if (!blast.ok) {
        this.log.error({ address: change.address, reason: blast.reason, alert: 'blast-radius' }, 'blast radius exceeded: pausing the project');
        await this.store.pauses.pause({ scope: 'project', reason: `blast radius exceeded: ${blast.reason}`, actor: this.actor });
        return `blast radius exceeded: ${blast.reason}`;
      }
      if (!this.#rate.tryAcquire(change.address)) return 'rate limited';
      return undefined;
    };
    const conflictedReason = (): string =>
      `conflicted: something outside Steward keeps undoing it (${this.settings.flapping.maxReverts} reverts within ${this.settings.flapping.windowMs} ms); no longer reverted until its manifest changes`;
    // Counted right before the mutation, so only reverts that really start use the budget.
    const flapping = async (change: PlannedChange): Promise<string | undefined> => {
      if (change.adopt || change.observed === undefined) return undefined;
      if (this.#flaps.recordRevert(change.address) === 'ok') return undefined;
      this.events.conflicted?.(change.address);
      return conflictedReason();
    };
    return {
      // The kill switch first, so a paused change costs no token and counts toward no limit.
      guard: composeGuards(kill, limits, flapping),
      admit: (change) => (this.#flaps.isConflicted(change.address) ? conflictedReason() : undefined),
      settled: (change, result) => {
        const breaker = this.#breaker(change.target);
        if (result.status === 'succeeded') breaker.recordSuccess();
        else if (result.status === 'failed') breaker.recordFailure();
        this.events.breakerState?.(change.target, breaker.state());
      },
      startCycle: () => this.#blast.startCycle(),
    };
  }
}
