import { errorMessage, type DesiredResource, type Provider, type WatchChannel, type WatchHandle } from '../core/index.js';
import type { LoadedProject } from '../app/index.js';
import type { AgentLogger } from './logger.js';

/**
 * The change signals of every target of a project: each provider that can watch (PostgreSQL:
 * event triggers and fingerprints) calls `onChange`; a target that cannot is left to the
 * periodic resync, and the channels say so.
 */
export class TargetWatches {
  readonly #handles = new Map<string, WatchHandle>();
  readonly #channels: Record<string, readonly WatchChannel[]> = {};

  /**
   * `providers`: a function is asked again at each `start`, so the watches a manifest reload
   * restarts connect with what was read for the new manifests (e.g. instance passwords from Secrets).
   */
  constructor(
    private readonly providers: readonly Provider[] | (() => readonly Provider[]),
    private readonly log: AgentLogger,
    private readonly onChange: (reason: string) => void,
  ) {}

  async start(project: LoadedProject, intervalMs: number): Promise<void> {
    const targets = project.resources.filter((r) => project.kinds.get(r.kind)?.role === 'target');
    const providers = typeof this.providers === 'function' ? this.providers() : this.providers;
    for (const target of targets) {
      const resources = project.resources.filter((r) => r.target === target.address);
      await this.#watch(providers, target, resources, intervalMs);
    }
  }

  async #watch(providers: readonly Provider[], target: DesiredResource, resources: readonly DesiredResource[], intervalMs: number): Promise<void> {
    const provider = providers.find((p) => p.targetKind === target.kind);
    if (!provider?.watch) {
      this.#channels[target.address] = [{ scope: 'everything', mode: 'polling', reason: 'the provider cannot watch; full resyncs only' }];
      this.log.warn({ target: target.address }, 'no change events from this target: relying on periodic resyncs');
      return;
    }
    try {
      const handle = await provider.watch(target, {
        resources,
        intervalMs,
        onChange: (event) => {
          this.log.debug({ target: target.address, ...event }, 'change signalled');
          this.onChange(`${event.source} ${event.scope}`);
        },
        onStatus: (channels, problem) => {
          this.#channels[target.address] = channels;
          this.log.info({ target: target.address, channels }, 'watching');
          if (problem) this.log.warn({ target: target.address, problem }, 'watch problem');
        },
      });
      this.#handles.set(target.address, handle);
      this.#channels[target.address] = handle.channels();
    } catch (error) {
      this.#channels[target.address] = [{ scope: 'everything', mode: 'polling', reason: `cannot watch: ${errorMessage(error)}` }];
      this.log.warn({ target: target.address, error: errorMessage(error) }, 'cannot watch this target: relying on periodic resyncs');
    }
  }

  /** How each target is watched, by target address. */
  channels(): Readonly<Record<string, readonly WatchChannel[]>> {
    return { ...this.#channels };
  }

  /** Catalog queries the watches have sent (for the idle cost measurement). */
  queryCount(): number {
    return [...this.#handles.values()].reduce((n, h) => n + h.queryCount(), 0);
  }

  async stop(): Promise<void> {
    const handles = [...this.#handles.values()];
    this.#handles.clear();
    for (const key of Object.keys(this.#channels)) delete this.#channels[key];
    await Promise.all(handles.map((h) => h.close()));
  }
}
