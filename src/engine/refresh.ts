import type { DesiredResource, KindDefinition, Observation } from '../core/index.js';
import type { PriorRecord } from './prior.js';
import type { SessionPool } from './sessions.js';

export interface RefreshInput {
  readonly desired: readonly DesiredResource[];
  readonly prior: readonly PriorRecord[];
  readonly kinds: ReadonlyMap<string, KindDefinition>;
  readonly sessions: SessionPool;
}

type Group = { target: string; kind: string; requests: Map<string, { address: string; spec: unknown }> };

/** Groups by target, then kind: a refresh adds every resource, and nested maps need no key built for each. */
type Groups = Map<string, Map<string, Group>>;

/**
 * The (target, kind) groups to observe for `desired` and `prior`; a name already in its group keeps
 * its first spec, and one in `skip` (already observed) is left out.
 */
function groupsOf(
  input: Pick<RefreshInput, 'kinds' | 'sessions'>,
  desired: readonly DesiredResource[],
  prior: readonly PriorRecord[],
  skip?: Groups,
): Groups {
  const groups: Groups = new Map();
  const add = (target: string | null | undefined, kind: string, name: string, address: string, spec: unknown): void => {
    if (!target || !input.sessions.isDeclared(target)) return;
    if (skip?.get(target)?.get(kind)?.requests.has(name)) return;
    let byKind = groups.get(target);
    if (byKind === undefined) groups.set(target, (byKind = new Map()));
    let group = byKind.get(kind);
    if (group === undefined) byKind.set(kind, (group = { target, kind, requests: new Map() }));
    // The declaration wins over the remembered spec: it is what the plan compares against.
    if (!group.requests.has(name)) group.requests.set(name, { address, spec });
  };
  // By index: a refresh adds every resource and record, and a for-of allocates a result for each.
  for (let i = 0; i < desired.length; i++) {
    const resource = desired[i]!;
    if (input.kinds.get(resource.kind)?.role === 'managed') add(resource.target, resource.kind, resource.name, resource.address, resource.spec);
  }
  for (let i = 0; i < prior.length; i++) {
    const record = prior[i]!;
    add(record.target, record.kind, record.name, record.address, record.spec ?? null);
  }
  return groups;
}

/**
 * Observes `groups` into `observations`. `sent` resolves once each group's statements are on their
 * way to its target (see `ProviderSession.sent`), or its observation is over (e.g. failed to
 * connect), whichever comes first.
 */
function observeGroups(groups: Groups, sessions: SessionPool, observations: Map<string, Observation>): { readonly done: Promise<void>; readonly sent: Promise<void> } {
  const sent: Promise<void>[] = [];
  const done = Promise.all(
    [...groups.values()].flatMap((byKind) => [...byKind.values()]).map(async (group) => {
      let markSent!: () => void;
      sent.push(new Promise<void>((resolve) => (markSent = resolve)));
      try {
        const session = await sessions.session(group.target);
        // forEach rather than for-of: iterating a map of ten thousand requests allocated an entry
        // and a result object for each, twice, in a command's cold code.
        const requests: { name: string; spec: unknown }[] = [];
        group.requests.forEach((r, name) => requests.push({ name, spec: r.spec }));
        const observing = session.observe(group.kind, requests);
        // A session that cannot tell is taken to have sent its statements once asked.
        (session.sent?.() ?? Promise.resolve()).then(markSent, markSent);
        const found = await observing;
        group.requests.forEach(({ address }, name) => {
          const live = found.get(name);
          observations.set(address, live ? { exists: true, attributes: live.attributes, providerId: live.providerId } : { exists: false, attributes: {} });
        });
      } finally {
        markSent();
      }
    }),
  ).then(() => undefined);
  return { done, sent: Promise.all(sent).then(() => undefined) };
}

/**
 * Observes every managed resource that is declared or recorded in the state, set-based: one
 * `observe` call per (target, kind), whatever the number of resources. Resources whose target is
 * not declared get no observation; the planner reports them.
 */
export async function refresh(input: RefreshInput): Promise<ReadonlyMap<string, Observation>> {
  const observations = new Map<string, Observation>();
  await observeGroups(groupsOf(input, input.desired, input.prior), input.sessions, observations).done;
  return observations;
}

/** A refresh started before the state was read (see {@link startRefresh}). */
export interface StartedRefresh {
  /** The observations `refresh` would return given this prior state. */
  complete(prior: readonly PriorRecord[]): Promise<ReadonlyMap<string, Observation>>;
  /** Resolves once the early observation is over, whatever its outcome (for cleaning up). */
  settled(): Promise<void>;
  /**
   * Resolves once the early observation's statements are on their way to the targets (or it is
   * over): the targets then work on them, and this process is free for other work. Never rejects.
   */
  underway(): Promise<void>;
}

/**
 * Starts observing the declared resources at once, so the targets work while the state store
 * opens and is read; `complete` then observes, in one more call per (target, kind), only the
 * recorded resources that are no longer declared. The result is the same as `refresh`.
 */
export function startRefresh(input: Omit<RefreshInput, 'prior'>): StartedRefresh {
  const observations = new Map<string, Observation>();
  const declared = groupsOf(input, input.desired, []);
  const early = observeGroups(declared, input.sessions, observations);
  // Handled here so a failure is not unhandled while the state is read; `complete` rethrows it.
  const settled = early.done.then(
    () => undefined,
    () => undefined,
  );
  return {
    async complete(prior) {
      await early.done;
      // Every declared resource is in `declared`: only the records are left to look through.
      await observeGroups(groupsOf(input, [], prior, declared), input.sessions, observations).done;
      return observations;
    },
    settled: () => settled,
    underway: () => early.sent,
  };
}
