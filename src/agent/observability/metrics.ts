import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BreakerState } from '../guardrails/circuit-breaker.js';

export type ActionOutcome = 'succeeded' | 'failed' | 'skipped' | 'held' | 'proposed' | 'refused';

const BREAKER_STATES: readonly BreakerState[] = ['closed', 'half-open', 'open'];
/** Drift is detected in milliseconds to seconds and fixed in seconds; the buckets span both. */
const SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

/**
 * The agent's Prometheus metrics, in a registry of their own (several agents in one test process
 * do not collide). Names and labels are documented in docs/guardrails.md.
 */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly #drift: Counter<'kind'>;
  readonly #detect: Histogram<'kind'>;
  readonly #fix: Histogram<'kind'>;
  readonly #actions: Counter<'outcome'>;
  readonly #approvals: Gauge;
  readonly #breaker: Gauge<'instance' | 'state'>;
  readonly #paused: Gauge;
  readonly #conflicts: Counter;
  readonly #conflicted: Gauge;
  readonly #conflictedSet = new Set<string>();

  constructor(options: { readonly processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.#drift = new Counter({ name: 'steward_drift_detected_total', help: 'Resources found drifted from their manifests, by kind', labelNames: ['kind'], registers });
    this.#detect = new Histogram({
      name: 'steward_time_to_detect_seconds',
      help: 'From an out-of-band change happening (or being signalled) to the agent noticing it, by kind',
      labelNames: ['kind'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.#fix = new Histogram({
      name: 'steward_time_to_fix_seconds',
      help: 'From drift being detected to the resource verified back in line, by kind',
      labelNames: ['kind'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.#actions = new Counter({ name: 'steward_actions_total', help: 'Actions the agent took or withheld, by outcome', labelNames: ['outcome'], registers });
    this.#approvals = new Gauge({ name: 'steward_approvals_pending', help: 'Change requests waiting for approval', registers });
    this.#breaker = new Gauge({
      name: 'steward_breaker_state',
      help: 'Circuit breaker per provider instance: 1 for its current state, 0 for the others',
      labelNames: ['instance', 'state'],
      registers,
    });
    this.#paused = new Gauge({ name: 'steward_paused_scopes', help: 'Scopes paused with the kill switch', registers });
    this.#conflicts = new Counter({ name: 'steward_conflicts_total', help: 'Resources marked conflicted (two writers fighting)', registers });
    this.#conflicted = new Gauge({ name: 'steward_conflicted_resources', help: 'Resources currently conflicted and no longer reverted', registers });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'steward_' });
  }

  driftDetected(kind: string): void {
    this.#drift.inc({ kind });
  }

  observeTimeToDetect(kind: string, ms: number): void {
    this.#detect.observe({ kind }, Math.max(0, ms) / 1000);
  }

  observeTimeToFix(kind: string, ms: number): void {
    this.#fix.observe({ kind }, Math.max(0, ms) / 1000);
  }

  action(outcome: ActionOutcome | string): void {
    this.#actions.inc({ outcome });
  }

  setApprovalsPending(n: number): void {
    this.#approvals.set(n);
  }

  setBreakerState(instance: string, state: BreakerState): void {
    for (const s of BREAKER_STATES) this.#breaker.set({ instance, state: s }, s === state ? 1 : 0);
  }

  setPausedScopes(n: number): void {
    this.#paused.set(n);
  }

  conflicted(address: string): void {
    this.#conflicts.inc();
    this.#conflictedSet.add(address);
    this.#conflicted.set(this.#conflictedSet.size);
  }

  /** The resource is no longer conflicted (its manifest changed, or someone cleared it). */
  resolved(address: string): void {
    this.#conflictedSet.delete(address);
    this.#conflicted.set(this.#conflictedSet.size);
  }
}
