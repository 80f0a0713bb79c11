import { errorMessage } from '../core/index.js';
import { rotateAgents, type RotationEvent } from '../app/index.js';
import { AGENT } from '../kinds/index.js';
import type { Store } from '../store/index.js';
import { autonomyFor } from './autonomy.js';
import type { AgentLogger } from './logger.js';
import type { ProjectState } from './project-state.js';

/** How often the running agent looks for agents whose credentials are due (the shortest period is 60 s). */
export const ROTATION_CHECK_MS = 15_000;

export interface RotationCheck {
  readonly store: Store;
  readonly state: ProjectState;
  readonly env: NodeJS.ProcessEnv;
  readonly actor: string;
  readonly lockTimeoutMs: number;
  readonly log: AgentLogger;
}

function describe(event: RotationEvent): Record<string, unknown> {
  // Only names, versions, logins and keyed hashes: a rotation event never carries a credential.
  return { ...event };
}

/**
 * Scheduled rotation inside `steward agent`: what `steward rotate --due` does, for the agents whose
 * scope is not `observe` (observe changes nothing). Rotation is behaviour the manifest declares
 * (`credentials.rotate.every`), so `propose` and `auto` both carry it out; a pause covering an
 * agent holds its rotation back like any mutation.
 */
export class RotationSchedule {
  #last = Number.NEGATIVE_INFINITY;

  constructor(private readonly intervalMs: number = ROTATION_CHECK_MS) {}

  /** Whether the project declares agents at all (no timer, no work otherwise). */
  static wanted(state: ProjectState): boolean {
    return state.project.resources.some((r) => r.kind === AGENT);
  }

  isDue(now: number = performance.now()): boolean {
    return now - this.#last >= this.intervalMs;
  }

  async run(check: RotationCheck): Promise<void> {
    this.#last = performance.now();
    const agents = check.state.project.resources
      .filter((r) => r.kind === AGENT)
      .filter((r) => autonomyFor(check.state.autonomy, { address: r.address, kind: r.kind, labels: r.metadata.labels }).mode !== 'observe')
      .map((r) => r.name);
    if (agents.length === 0) return;
    try {
      const report = await rotateAgents(
        check.store,
        { project: check.state.project, env: check.env, actor: check.actor, lockTimeoutMs: check.lockTimeoutMs },
        { due: true, wait: false },
        agents,
      );
      for (const event of report.events) check.log.info(describe(event), `Agent/${event.agent}: ${event.type}`);
      for (const held of report.held) check.log.info({ agent: held.agent, reason: held.reason }, `Agent/${held.agent}: rotation held back`);
    } catch (error) {
      check.log.error({ error: errorMessage(error) }, 'scheduled rotation failed; retried at the next check');
    }
  }
}
