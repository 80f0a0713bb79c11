import { describe, expect, it } from 'vitest';
import type { DesiredResource, KindDefinition, Provider, ProviderSession } from '../src/core/index.js';
import { diffAttributes, planChanges } from '../src/engine/index.js';

/** One resource to drive through its whole lifecycle. */
export interface ConformanceCase {
  readonly description: string;
  /** Called once per test so every test works on fresh, unique names. */
  make(): Promise<{ readonly created: DesiredResource; readonly updated: DesiredResource }>;
}

export interface ConformanceOptions {
  readonly provider: Provider;
  readonly target: DesiredResource;
  readonly kinds: ReadonlyMap<string, KindDefinition>;
  readonly cases: readonly ConformanceCase[];
  /** Catalog statements one observe of a kind may take (default 1). */
  readonly maxObserveStatements?: number;
  /** A fingerprint of everything the provider could touch, to prove observation changes nothing. */
  snapshot(): Promise<string>;
}

function kindOf(kinds: ReadonlyMap<string, KindDefinition>, resource: DesiredResource): KindDefinition {
  const kind = kinds.get(resource.kind);
  if (!kind) throw new Error(`unknown kind ${resource.kind}`);
  return kind;
}

async function observeOne(session: ProviderSession, resource: DesiredResource) {
  return (await session.observe(resource.kind, [{ name: resource.name, spec: resource.spec }])).get(resource.name)?.attributes;
}

/**
 * The contract every provider must meet (see core/provider.ts), run against a real target.
 * Each provider's test file calls this with its own cases.
 */
export function providerConformance(options: ConformanceOptions): void {
  const withSession = async (fn: (session: ProviderSession) => Promise<void>): Promise<void> => {
    const session = await options.provider.connect(options.target);
    try {
      await fn(session);
    } finally {
      await session.close();
    }
  };

  describe.each(options.cases)(`${options.provider.name} provider conformance: $description`, (c) => {
    it('observes a missing resource as absent', async () => {
      await withSession(async (session) => {
        const { created } = await c.make();
        expect(await observeOne(session, created)).toBeUndefined();
      });
    });

    it('is up to date right after create', async () => {
      await withSession(async (session) => {
        const { created } = await c.make();
        await session.create(created);
        const observed = await observeOne(session, created);
        expect(observed).toBeDefined();
        const kind = kindOf(options.kinds, created);
        expect(diffAttributes(kind.desiredAttributes(created.name, created.spec), observed!, kind.fields)).toEqual([]);
        await session.delete(created.kind, created.name, created.spec);
      });
    });

    it('treats creating an existing resource as a no-op', async () => {
      await withSession(async (session) => {
        const { created } = await c.make();
        await session.create(created);
        const first = await observeOne(session, created);
        await expect(session.create(created)).resolves.toBeUndefined();
        expect(await observeOne(session, created)).toEqual(first);
        await session.delete(created.kind, created.name, created.spec);
      });
    });

    it('updates in place to exactly the declared attributes, keeping its identity', async () => {
      await withSession(async (session) => {
        const { created, updated } = await c.make();
        await session.create(created);
        const identity = (await session.observe(created.kind, [{ name: created.name, spec: created.spec }])).get(created.name)?.providerId;
        expect(identity).toMatch(/\S/);
        const kind = kindOf(options.kinds, updated);
        const changes = diffAttributes(kind.desiredAttributes(updated.name, updated.spec), (await observeOne(session, created))!, kind.fields);
        expect(changes.length).toBeGreaterThan(0);
        await session.update(updated, changes);
        expect(diffAttributes(kind.desiredAttributes(updated.name, updated.spec), (await observeOne(session, updated))!, kind.fields)).toEqual([]);
        expect((await session.observe(updated.kind, [{ name: updated.name, spec: updated.spec }])).get(updated.name)?.providerId).toBe(identity);
        await session.delete(created.kind, created.name, created.spec);
      });
    });

    it('deletes, and deleting what is gone succeeds', async () => {
      await withSession(async (session) => {
        const { created } = await c.make();
        await session.create(created);
        await session.delete(created.kind, created.name, created.spec);
        expect(await observeOne(session, created)).toBeUndefined();
        await expect(session.delete(created.kind, created.name, created.spec)).resolves.toBeUndefined();
      });
    });

    it('never mutates when observing, and observes with a fixed number of statements whatever the number of resources', async () => {
      await withSession(async (session) => {
        const { created } = await c.make();
        await session.create(created);
        const before = await options.snapshot();
        const start = session.statementCount;
        await session.observe(created.kind, [{ name: created.name, spec: created.spec }]);
        const forOne = session.statementCount - start;
        const requests = [created.name, `${created.name}_missing_1`, `${created.name}_missing_2`].map((name) => ({ name, spec: created.spec }));
        await session.observe(created.kind, requests);
        expect(session.statementCount - start - forOne).toBe(forOne);
        expect(forOne).toBeGreaterThan(0);
        expect(forOne).toBeLessThanOrEqual(options.maxObserveStatements ?? 1);
        expect(await options.snapshot()).toBe(before);
        await session.delete(created.kind, created.name, created.spec);
      });
    });

    it('plans nothing after apply and refresh', async () => {
      await withSession(async (session) => {
        const { updated } = await c.make();
        await session.create(updated);
        const observed = await observeOne(session, updated);
        const plan = planChanges({
          desired: [options.target, updated],
          prior: [],
          observations: new Map([[updated.address, { exists: true, attributes: observed! }]]),
          kinds: options.kinds,
        });
        expect(plan.changes.map((ch) => ch.action)).toEqual(['no-op']);
        await session.delete(updated.kind, updated.name, updated.spec);
      });
    });
  });
}
