import { afterAll, describe, expect, inject, it } from 'vitest';
import { StewardError } from '../core/errors.js';
import { backends, withFreshStore } from './test-support/backends.js';
import type { Store } from './types.js';

describe.each(backends(inject('pg')))('pauses on the $name backend', (backend) => {
  afterAll(() => backend.dispose());

  const withStore = (body: (store: Store) => Promise<void>): Promise<void> => withFreshStore(backend, body);

  it('pauses and resumes a scope, each with an audit entry naming the actor', async () => {
    await withStore(async (store) => {
      expect(await store.pauses.active()).toEqual([]);
      const pause = await store.pauses.pause({ scope: 'kind:PostgresGrant', reason: 'incident 42', actor: 'alice@ops' });
      expect(pause).toMatchObject({ scope: 'kind:PostgresGrant', reason: 'incident 42', actor: 'alice@ops' });
      expect(pause.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(await store.pauses.active()).toEqual([pause]);

      expect(await store.pauses.resume({ scope: 'kind:PostgresGrant', actor: 'bob@ops' })).toBe(true);
      expect(await store.pauses.active()).toEqual([]);
      expect(await store.pauses.resume({ scope: 'kind:PostgresGrant', actor: 'bob@ops' })).toBe(false);

      const entries = await store.audit.list();
      expect(entries.map((e) => [e.action, e.actor, e.outcome])).toEqual([
        ['pause', 'alice@ops', 'info'],
        ['resume', 'bob@ops', 'info'],
      ]);
      expect(entries[0]?.detail).toEqual({ pauseId: pause.id, scope: 'kind:PostgresGrant', reason: 'incident 42' });
      expect(entries[1]?.detail).toMatchObject({ pauseId: pause.id, pausedBy: 'alice@ops', reason: 'incident 42' });
      expect((await store.audit.verify()).ok).toBe(true);
    });
  });

  it('stores scopes in canonical form, names a resource scope as the entry address', async () => {
    await withStore(async (store) => {
      const labels = await store.pauses.pause({ scope: ' labels:team=payments,env=prod ', reason: 'r', actor: 'a' });
      expect(labels.scope).toBe('labels:env=prod,team=payments');
      await store.pauses.pause({ scope: 'resource:PostgresRole/app', reason: 'r', actor: 'a' });
      expect(await store.pauses.resume({ scope: 'labels:env=prod,team=payments', actor: 'a' })).toBe(true);
      expect((await store.pauses.active()).map((p) => p.scope)).toEqual(['resource:PostgresRole/app']);
      expect((await store.audit.list()).map((e) => e.address)).toEqual([null, 'PostgresRole/app', null]);
    });
  });

  it('keeps the first pause of a scope when it is paused again, auditing the attempt', async () => {
    await withStore(async (store) => {
      const first = await store.pauses.pause({ scope: 'project', reason: 'first', actor: 'alice' });
      const again = await store.pauses.pause({ scope: 'project', reason: 'second', actor: 'bob' });
      expect(again).toEqual(first);
      expect(await store.pauses.active()).toHaveLength(1);
      const [, attempt] = await store.audit.list();
      expect(attempt).toMatchObject({ action: 'pause', actor: 'bob', detail: { alreadyPaused: { by: 'alice', reason: 'first' } } });
    });
  });

  it('lets concurrent pauses of one scope settle on one active pause', async () => {
    await withStore(async (store) => {
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => store.pauses.pause({ scope: 'kind:PostgresRole', reason: `r${i}`, actor: `u${i}` })),
      );
      expect(new Set(results.map((r) => r.id)).size).toBe(1);
      expect(await store.pauses.active()).toHaveLength(1);
      expect((await store.audit.verify()).ok).toBe(true);
    });
  });

  it('refuses a scope that does not parse and a pause without a reason, recording nothing', async () => {
    await withStore(async (store) => {
      await expect(store.pauses.pause({ scope: 'everything', reason: 'r', actor: 'a' })).rejects.toThrow(/"everything" is not a scope/);
      await expect(store.pauses.pause({ scope: 'project', reason: '  ', actor: 'a' })).rejects.toThrow(StewardError);
      await expect(store.pauses.resume({ scope: 'kind:', actor: 'a' })).rejects.toThrow(/not a kind name/);
      expect(await store.pauses.active()).toEqual([]);
      expect(await store.audit.list()).toEqual([]);
    });
  });
});
