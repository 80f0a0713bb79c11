import type { DesiredResource, KindDefinition, Observation } from '../core/index.js';
import type { PriorRecord } from './prior.js';
import type { SessionPool } from './sessions.js';

export interface RefreshInput {
  readonly desired: readonly DesiredResource[];
  readonly prior: readonly PriorRecord[];
  readonly kinds: ReadonlyMap<string, KindDefinition>;
  readonly sessions: SessionPool;
}

/**
 * Observes every managed resource that is declared or recorded in the state, set-based: one
 * `observe` call per (target, kind), whatever the number of resources. Resources whose target is
 * not declared get no observation; the planner reports them.
 */
export async function refresh(input: RefreshInput): Promise<ReadonlyMap<string, Observation>> {
  const groups = new Map<string, { target: string; kind: string; requests: Map<string, { address: string; spec: unknown }> }>();
  const add = (target: string | null | undefined, kind: string, name: string, address: string, spec: unknown): void => {
    if (!target || !input.sessions.isDeclared(target)) return;
    const key = `${target}\u0000${kind}`;
    const group = groups.get(key) ?? { target, kind, requests: new Map<string, { address: string; spec: unknown }>() };
    // The declaration wins over the remembered spec: it is what the plan compares against.
    if (!group.requests.has(name)) group.requests.set(name, { address, spec });
    groups.set(key, group);
  };
  for (const resource of input.desired) {
    if (input.kinds.get(resource.kind)?.role === 'managed') add(resource.target, resource.kind, resource.name, resource.address, resource.spec);
  }
  for (const record of input.prior) add(record.target, record.kind, record.name, record.address, record.spec ?? null);

  const observations = new Map<string, Observation>();
  await Promise.all(
    [...groups.values()].map(async (group) => {
      const session = await input.sessions.session(group.target);
      const found = await session.observe(
        group.kind,
        [...group.requests].map(([name, r]) => ({ name, spec: r.spec })),
      );
      for (const [name, { address }] of group.requests) {
        const live = found.get(name);
        observations.set(address, live ? { exists: true, attributes: live.attributes, providerId: live.providerId } : { exists: false, attributes: {} });
      }
    }),
  );
  return observations;
}
