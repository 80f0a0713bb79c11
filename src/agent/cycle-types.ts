import type { PlannedChange } from '../core/index.js';
import type { LoadedProject } from '../app/index.js';
import type { ChangeResult, SessionPool } from '../engine/index.js';
import type { PolicySet } from '../policy/index.js';
import type { Store } from '../store/index.js';
import type { ResolvedAutonomy } from './autonomy.js';
import type { AgentLogger } from './logger.js';
import type { AgentMetrics, Tracer } from './observability/index.js';
import type { RetryBook } from './retry.js';

/** Guards and counters the loop keeps across cycles (the guardrails). */
export interface CycleGuards {
  /** Asked before every mutation; a reason holds the change back. */
  readonly guard: (change: PlannedChange) => Promise<string | undefined>;
  /** Whether the resource may be acted on now (e.g. not conflicted); a reason skips it. */
  readonly admit: (change: PlannedChange) => string | undefined;
  /** Called with each finished change, to feed rate limits, breakers and flap detection. */
  readonly settled: (change: PlannedChange, result: ChangeResult) => void;
  /** A new cycle starts (blast radius per cycle). */
  readonly startCycle: () => void;
}

export interface CycleContext {
  readonly store: Store;
  readonly project: LoadedProject;
  readonly policies: PolicySet;
  readonly autonomy: ResolvedAutonomy;
  readonly sessions: SessionPool;
  readonly actor: string;
  /** The environment manifests' references (`{env: VAR}`) and the master key are read from. */
  readonly env: NodeJS.ProcessEnv;
  readonly parallelism: number;
  readonly log: AgentLogger;
  readonly retries: RetryBook;
  readonly guards: CycleGuards;
  /** Resources this replica holds the lease of; undefined when it is the only one (embedded store). */
  readonly leased?: ReadonlySet<string>;
  /** Drift already reported, by address → change hash, so a persisting drift is audited once. */
  readonly reported: Map<string, string>;
  readonly signal?: AbortSignal;
  /** Why this cycle runs (event, fingerprint, resync, approval...), for the log and the audit. */
  readonly trigger: string;
  /** When the first of those reasons was signalled (performance.now()), for time-to-detect. */
  readonly signalledAt: number;
  readonly metrics?: AgentMetrics;
  readonly tracer?: Tracer;
  /** When each address was first seen drifted (performance.now()), for time-to-fix. */
  readonly driftSince: Map<string, number>;
}

export interface CycleOutcome {
  readonly drifted: number;
  readonly acted: number;
  readonly proposed: number;
  readonly failed: number;
  /** A cycle was skipped because another one (or a person's apply) holds the apply lock. */
  readonly busy: boolean;
  /** Changes a guard held back (paused, rate limited, breaker open...): worth another try later. */
  readonly held?: number;
}
