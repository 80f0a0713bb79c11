import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { DiagnosticsError, StewardError, errorMessage } from '../core/index.js';
import { currentActor, providersFor, resolveInstanceSecrets, type ProjectOptions } from '../app/index.js';
import { SessionPool } from '../engine/index.js';
import type { InstanceSecrets } from '../providers/postgres/index.js';
import { openStore, type Store } from '../store/index.js';
import { runCycle } from './cycle.js';
import { AgentGuardrails, type GuardrailEvents } from './guards.js';
import type { AgentLogger } from './logger.js';
import { ManifestWatcher } from './manifest-watch.js';
import { loadProjectState, locatedDiagnostics, type ProjectState } from './project-state.js';
import { RetryBook } from './retry.js';
import { RotationSchedule, ROTATION_CHECK_MS } from './rotations.js';
import { writeStatusFile, type AgentStatus } from './status-file.js';
import { TargetWatches } from './target-watches.js';
import type { AgentMetrics, Tracer } from './observability/index.js';
import { Wakeup } from './wakeup.js';

export interface AgentOptions {
  readonly project: ProjectOptions;
  readonly log: AgentLogger;
  /** Overrides the Autonomy manifest's `resync` (ms). */
  readonly resyncMs?: number;
  /** Overrides the Autonomy manifest's `fingerprintInterval` (ms). */
  readonly fingerprintMs?: number;
  /** How long a replica's lease on a resource lasts without renewal (PostgreSQL store only). */
  readonly leaseMs?: number;
  /** Run one cycle and stop (for scripts and checks). */
  readonly once?: boolean;
  /** Prometheus metrics to keep up to date. */
  readonly metrics?: AgentMetrics;
  /** Traces of each reconcile (observe, plan, policy and apply spans). */
  readonly tracer?: Tracer;
  /** Called once the agent watches and has finished its first cycle. */
  readonly onReady?: () => void;
}

const APPROVAL_POLL_MS = 1000;
const DEFAULT_LEASE_MS = 15_000;
const HELD_RETRY_MS = 5_000;
const ROTATION_WAKE = 'rotation check';

/**
 * `steward agent`: keeps the live infrastructure true to the manifests until `signal` aborts.
 * Cycles run when something may have changed (a target's event or fingerprint, a manifest edit,
 * an approval, a lease taken over) and at least every resync interval; the current cycle is
 * finished before it returns.
 */
export async function runAgent(options: AgentOptions, signal: AbortSignal): Promise<void> {
  const dir = resolve(options.project.dir);
  const first = await loadProjectState(dir);
  if (!first.ok) throw new DiagnosticsError(first.diagnostics);
  const store = await openStore({ projectDir: dir, databaseUrl: options.project.databaseUrl, lockTimeoutMs: options.project.lockTimeoutMs, command: 'agent' });
  const actor = currentActor(options.project.env);
  const replica = `${actor}#${hostname()}:${process.pid}`;
  let secrets: InstanceSecrets;
  try {
    // Instance passwords given as {secretRef}: decrypted once, before any session or watch connects.
    secrets = await resolveInstanceSecrets(store, first.state.project.resources, dir, options.project.env);
  } catch (error) {
    await store.close();
    throw error;
  }
  const agent = new RunningAgent(options, store, first.state, actor, replica, dir, secrets);
  try {
    await agent.run(signal);
  } finally {
    await agent.close();
    await store.close();
  }
}

function sameSecrets(a: InstanceSecrets, b: InstanceSecrets): boolean {
  return a.size === b.size && [...a].every(([name, value]) => b.get(name) === value);
}

class RunningAgent {
  #state: ProjectState;
  /** The decrypted Secrets instance passwords refer to, read again when the manifests change. */
  #secrets: InstanceSecrets;
  #sessions: SessionPool;
  #guardrails: AgentGuardrails;
  readonly #wake = new Wakeup();
  readonly #retries = new RetryBook();
  readonly #rotations = new RotationSchedule();
  readonly #reported = new Map<string, string>();
  readonly #driftSince = new Map<string, number>();
  readonly #targets: TargetWatches;
  #manifestProblems: readonly string[] = [];
  #watcher: ManifestWatcher | undefined;
  #timers: NodeJS.Timeout[] = [];
  #leased: ReadonlySet<string> | undefined;
  #lastCycle: AgentStatus['lastCycle'];
  readonly #startedAt = new Date().toISOString();
  #closed = false;

  constructor(
    private readonly options: AgentOptions,
    private readonly store: Store,
    state: ProjectState,
    private readonly actor: string,
    private readonly replica: string,
    private readonly dir: string,
    secrets: InstanceSecrets,
  ) {
    this.#state = state;
    this.#secrets = secrets;
    this.#sessions = this.#newSessions();
    this.#guardrails = new AgentGuardrails(state.autonomy.guardrails, store, actor, options.log, this.#guardrailEvents());
    if (store.backend === 'postgres') this.#leased = new Set();
    this.#targets = new TargetWatches(() => providersFor(options.project, this.#secrets), options.log, (reason) => this.#wake.request(reason));
  }

  #guardrailEvents(): GuardrailEvents {
    const metrics = this.options.metrics;
    return {
      breakerState: (target, state) => metrics?.setBreakerState(target, state),
      conflicted: (address) => {
        metrics?.conflicted(address);
        this.#log.warn({ address, alert: 'conflicted' }, 'two writers are fighting over this resource: marked conflicted, no longer reverted');
      },
    };
  }

  get #log(): AgentLogger {
    return this.options.log;
  }

  #newSessions(): SessionPool {
    const targets = this.#state.project.resources.filter((r) => this.#state.project.kinds.get(r.kind)?.role === 'target');
    return new SessionPool(providersFor(this.options.project, this.#secrets), targets);
  }

  #resyncMs(): number {
    const a = this.#state.autonomy;
    const intervals = a.scopes.map((s) => s.intervalMs).filter((n): n is number => n !== undefined);
    return Math.min(this.options.resyncMs ?? a.resyncMs, ...intervals);
  }

  async run(signal: AbortSignal): Promise<void> {
    this.#log.info({ dir: this.dir, store: this.store.location, actor: this.actor, autonomy: this.#state.autonomy.source, resyncMs: this.#resyncMs() }, 'agent starting');
    if (!this.options.once) {
      this.#watcher = new ManifestWatcher(this.dir, (files) => void this.#reload(files));
      await this.#watcher.ready();
      await this.#startWatches();
      this.#startPolling();
    }
    if (this.#leased) await this.#claimLeases();
    this.#wake.request('start');
    let ready = false;
    let failures = 0;
    while (!signal.aborted) {
      const reasons = await this.#wake.wait(this.#resyncMs(), 'resync', signal);
      if (reasons.length === 0) break;
      const trigger = reasons.join(', ');
      if (this.#leased !== undefined && this.#leased.size === 0 && !this.options.once) {
        // A standby replica: another one holds every lease. It takes over when they expire.
        this.#log.debug({ trigger }, 'standby: another replica holds every lease');
        await this.#writeStatus();
        if (!ready) {
          ready = true;
          this.options.onReady?.();
        }
        continue;
      }
      if (reasons.every((r) => r === ROTATION_WAKE)) {
        await this.#rotateDue();
        continue;
      }
      const started = performance.now();
      try {
        const outcome = await runCycle({
          store: this.store,
          project: this.#state.project,
          policies: this.#state.policies,
          autonomy: this.#state.autonomy,
          sessions: this.#sessions,
          actor: this.actor,
          env: this.options.project.env,
          parallelism: this.options.project.parallelism,
          log: this.#log,
          retries: this.#retries,
          guards: this.#guardrails.forCycle(this.#state.project.resources),
          leased: this.#leased,
          reported: this.#reported,
          signal,
          trigger,
          signalledAt: this.#wake.signalledAt,
          metrics: this.options.metrics,
          tracer: this.options.tracer,
          driftSince: this.#driftSince,
        });
        failures = 0;
        const ms = Math.round(performance.now() - started);
        this.#lastCycle = { at: new Date().toISOString(), trigger, outcome };
        this.#log.debug({ trigger, ms, ...outcome }, 'cycle done');
        if (outcome.busy) this.#wake.requestAfter(500, 'apply lock was busy');
        // Held back by a guard: a resume wakes the loop at once (see the poll); limits refill meanwhile.
        if ((outcome.held ?? 0) > 0) this.#wake.requestAfter(HELD_RETRY_MS, 'held back earlier');
        const retry = this.#retries.nextRetryInMs();
        if (retry !== undefined) this.#wake.requestAfter(retry + 10, 'retry after backoff');
      } catch (error) {
        failures += 1;
        // Backoff with full jitter, capped at the resync interval: a target or the store is down.
        const delay = Math.random() * Math.min(this.#resyncMs(), 500 * 2 ** Math.min(failures, 10));
        this.#lastCycle = { at: new Date().toISOString(), trigger, error: errorMessage(error) };
        this.#log.error({ trigger, error: errorMessage(error), retryInMs: Math.round(delay) }, 'cycle failed');
        if (error instanceof Error && 'code' in error && error.code === 'audit-write-failed') this.#log.error({}, 'the audit log cannot be written: nothing is changed until it can (fail closed)');
        this.#wake.requestAfter(delay, 'retry after a failed cycle');
        await this.#rereadSecrets();
      }
      if (this.options.once || this.#rotations.isDue()) await this.#rotateDue();
      await this.#writeStatus();
      if (!ready) {
        ready = true;
        this.options.onReady?.();
      }
      if (this.options.once) break;
    }
    this.#log.info({}, 'agent stopping');
    const last = this.#lastCycle;
    if (this.options.once && last?.error !== undefined) throw new StewardError('apply-failed', `the reconcile cycle failed: ${last.error}`);
    if (this.options.once && (last?.outcome?.failed ?? 0) > 0) throw new StewardError('apply-failed', `${last?.outcome?.failed} change(s) failed; see the log`);
  }

  /** Rotates the credentials of agents that are due (see RotationSchedule); never throws. */
  async #rotateDue(): Promise<void> {
    if (!RotationSchedule.wanted(this.#state)) return;
    await this.#rotations.run({
      store: this.store,
      state: this.#state,
      env: this.options.project.env,
      actor: this.actor,
      lockTimeoutMs: this.options.project.lockTimeoutMs,
      log: this.#log,
    });
  }

  /**
   * After a failed cycle: the Secret an instance password refers to may have been given a new
   * value (`steward secret set`, e.g. after the server's password was changed). If so, sessions
   * and watches reconnect with it; otherwise nothing changes.
   */
  async #rereadSecrets(): Promise<void> {
    const read = await resolveInstanceSecrets(this.store, this.#state.project.resources, this.dir, this.options.project.env).catch(() => undefined);
    if (read === undefined || sameSecrets(read, this.#secrets)) return;
    this.#secrets = read;
    this.#log.info({}, 'a secret an instance password refers to has a new value: reconnecting with it');
    const old = this.#sessions;
    this.#sessions = this.#newSessions();
    await old.closeAll();
    if (this.#watcher !== undefined) {
      await this.#targets.stop();
      await this.#startWatches();
    }
  }

  async #reload(files: readonly string[]): Promise<void> {
    if (this.#closed) return;
    const outcome = await loadProjectState(this.dir).catch((error: unknown) => ({ ok: false as const, diagnostics: [], error }));
    if (!outcome.ok) {
      this.#manifestProblems = locatedDiagnostics(outcome.diagnostics);
      this.#log.error({ files, problems: this.#manifestProblems }, 'the manifests have errors; the last good set stays in force');
      await this.#writeStatus();
      return;
    }
    let secrets: InstanceSecrets;
    try {
      secrets = await resolveInstanceSecrets(this.store, outcome.state.project.resources, this.dir, this.options.project.env);
    } catch (error) {
      this.#manifestProblems = [errorMessage(error)];
      this.#log.error({ files, problems: this.#manifestProblems }, 'the manifests refer to a secret that cannot be read; the last good set stays in force');
      await this.#writeStatus();
      return;
    }
    const before = new Map(this.#state.project.resources.map((r) => [r.address as string, JSON.stringify(r.spec)]));
    const previous = this.#state.autonomy;
    this.#state = outcome.state;
    this.#secrets = secrets;
    this.#manifestProblems = [];
    for (const r of outcome.state.project.resources) if (before.get(r.address) !== JSON.stringify(r.spec)) this.#guardrails.manifestChanged(r.address);
    this.#retries.forgetTerminal();
    this.#reported.clear();
    const old = this.#sessions;
    this.#sessions = this.#newSessions();
    await old.closeAll();
    if (JSON.stringify(outcome.state.autonomy.guardrails) !== JSON.stringify(previous.guardrails)) {
      // New limits start with fresh counters (and flap budgets).
      this.#guardrails = new AgentGuardrails(outcome.state.autonomy.guardrails, this.store, this.actor, this.#log, this.#guardrailEvents());
    }
    this.#log.info({ files, resources: outcome.state.project.resources.length }, 'manifests reloaded');
    await this.#targets.stop();
    await this.#startWatches();
    this.#wake.request('manifests changed');
  }

  #startWatches(): Promise<void> {
    return this.#targets.start(this.#state.project, this.options.fingerprintMs ?? this.#state.autonomy.fingerprintMs);
  }

  #startPolling(): void {
    let ticks = 0;
    let paused: string | undefined;
    const poll = async (): Promise<void> => {
      ticks += 1;
      try {
        if (ticks % 10 === 0) await this.store.changeRequests.expireDue(this.actor);
        const approved = await this.store.changeRequests.list({ statuses: ['approved'] });
        this.options.metrics?.setApprovalsPending(await this.store.changeRequests.pendingCount());
        const pauses = await this.store.pauses.active();
        this.options.metrics?.setPausedScopes(pauses.length);
        const now = pauses.map((p) => p.id).join(',');
        if (paused !== undefined && now !== paused) {
          this.#log.info({ paused: pauses.map((p) => p.scope) }, 'the kill switch changed');
          this.#wake.request('kill switch changed');
        }
        paused = now;
        const mine = approved.filter((r) => !this.#leased || this.#leased.has(r.address));
        if (mine.length > 0) this.#wake.request('approval');
      } catch (error) {
        this.#log.warn({ error: errorMessage(error) }, 'cannot read change requests');
      }
    };
    this.#timers.push(setInterval(() => void poll(), APPROVAL_POLL_MS));
    // Credentials fall due with time, not with an event: look every ROTATION_CHECK_MS when agents are declared.
    this.#timers.push(
      setInterval(() => {
        if (RotationSchedule.wanted(this.#state) && this.#rotations.isDue()) this.#wake.request(ROTATION_WAKE);
      }, ROTATION_CHECK_MS),
    );
    if (this.#leased) {
      const leaseMs = this.options.leaseMs ?? DEFAULT_LEASE_MS;
      this.#timers.push(setInterval(() => void this.#claimLeases(), Math.max(100, Math.floor(leaseMs / 3))));
    }
  }

  async #claimLeases(): Promise<void> {
    const leaseMs = this.options.leaseMs ?? DEFAULT_LEASE_MS;
    try {
      const project = this.#state.project;
      const managed = project.resources.filter((r) => project.kinds.get(r.kind)?.role === 'managed').map((r) => r.address as string);
      const recorded = (await this.store.listResources()).map((r) => r.address);
      const held = await this.store.leases.claim([...managed, ...recorded], this.replica, leaseMs);
      const gained = [...held].filter((a) => !this.#leased?.has(a));
      this.#leased = held;
      if (gained.length > 0) {
        this.#log.info({ replica: this.replica, gained: gained.length, held: held.size }, 'leases taken');
        this.#wake.request('leases taken');
      }
    } catch (error) {
      // Without a renewed lease this replica must not act: it may have expired and been taken.
      this.#leased = new Set();
      this.#log.warn({ error: errorMessage(error) }, 'cannot renew leases; acting on nothing until it can');
    }
  }

  async #writeStatus(): Promise<void> {
    await writeStatusFile(this.dir, {
      pid: process.pid,
      actor: this.actor,
      replica: this.replica,
      startedAt: this.#startedAt,
      store: this.store.location,
      watches: this.#targets.channels(),
      manifests: { ok: this.#manifestProblems.length === 0, problems: this.#manifestProblems },
      lastCycle: this.#lastCycle,
      conflicted: this.#guardrails.conflicted(),
      leases: this.#leased?.size,
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wake.close();
    for (const t of this.#timers) clearInterval(t);
    await this.#watcher?.close();
    await this.#targets.stop();
    await this.#sessions.closeAll();
    if (this.#leased) await this.store.leases.release(this.replica).catch(() => undefined);
  }
}
