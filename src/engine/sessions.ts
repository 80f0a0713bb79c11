import { StewardError, type DesiredResource, type Provider, type ProviderSession } from '../core/index.js';

/**
 * Opens one provider session per target on first use and closes them all at the end of a run.
 * Concurrent callers asking for the same target share one connection attempt.
 */
export class SessionPool {
  readonly #providers: ReadonlyMap<string, Provider>;
  readonly #targets: ReadonlyMap<string, DesiredResource>;
  readonly #sessions = new Map<string, Promise<ProviderSession>>();

  /** `providers` by target kind (e.g. `PostgresInstance`); `targets` by address. */
  constructor(providers: readonly Provider[], targets: readonly DesiredResource[]) {
    this.#providers = new Map(providers.map((p) => [p.targetKind, p]));
    this.#targets = new Map(targets.map((t) => [t.address as string, t]));
  }

  /** The provider that manages `kind`, if any. */
  providerForKind(kind: string): Provider | undefined {
    return [...this.#providers.values()].find((p) => p.kinds.includes(kind));
  }

  isDeclared(target: string): boolean {
    return this.#targets.has(target);
  }

  session(target: string): Promise<ProviderSession> {
    const existing = this.#sessions.get(target);
    if (existing) return existing;
    const resource = this.#targets.get(target);
    if (!resource) return Promise.reject(new StewardError('not-found', `target ${target} is not declared in the manifests`));
    const provider = this.#providers.get(resource.kind);
    if (!provider) return Promise.reject(new StewardError('internal', `no provider manages targets of kind ${resource.kind}`));
    const opening = provider.connect(resource);
    this.#sessions.set(target, opening);
    // A failed connection is not cached, so a later call may try again.
    opening.catch(() => this.#sessions.delete(target));
    return opening;
  }

  /** Statements sent so far, by target. */
  async statementCounts(): Promise<ReadonlyMap<string, number>> {
    const out = new Map<string, number>();
    for (const [target, opening] of this.#sessions) {
      const session = await opening.catch(() => undefined);
      if (session) out.set(target, session.statementCount);
    }
    return out;
  }

  async closeAll(): Promise<void> {
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(all.map(async (opening) => (await opening.catch(() => undefined))?.close()));
  }
}
