import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { StewardError } from '../core/errors.js';
import { backends, postgresBackend } from './test-support/backends.js';
import { compileStoreForChild, startFixture, type CompiledStore } from './test-support/child.js';
import type { ApplyLockHandle } from './types.js';

async function lockError(promise: Promise<ApplyLockHandle>): Promise<StewardError> {
  const outcome: unknown = await promise.then(
    async (handle) => {
      await handle.release();
      return new Error('the apply lock was granted although it is held');
    },
    (error: unknown) => error,
  );
  if (!(outcome instanceof StewardError)) throw outcome;
  expect(outcome.code).toBe('lock-timeout');
  return outcome;
}

describe.each(backends(inject('pg')))('apply lock within one process on the $name backend', (backend) => {
  afterAll(() => backend.dispose());

  it('admits one apply at a time, queues a waiter, and times out', async () => {
    const { store } = await (await backend.site()).open();
    try {
      const first = await store.acquireApplyLock({ timeoutMs: 0 });
      const refused = await lockError(store.acquireApplyLock({ timeoutMs: 0 }));
      expect(refused.message).toContain(`pid${backend.name === 'postgres' ? '=' : ' '}${process.pid}`);
      expect(refused.message).toContain(store.location);

      const started = Date.now();
      const timedOut = await lockError(store.acquireApplyLock({ timeoutMs: 250 }));
      expect(Date.now() - started).toBeGreaterThanOrEqual(240);
      expect(timedOut.message).toContain('waited 250 ms');

      const waiting = store.acquireApplyLock({ timeoutMs: 20_000 });
      await first.release();
      await first.release(); // idempotent
      const second = await waiting;
      await second.release();
    } finally {
      await store.close();
    }
  });

  it('is released when the store closes', async () => {
    const site = await backend.site();
    const first = await site.open();
    await first.store.acquireApplyLock({ timeoutMs: 0 });
    await first.store.close();
    const second = await site.open();
    try {
      const lock = await second.store.acquireApplyLock({ timeoutMs: 0 });
      await lock.release();
    } finally {
      await second.store.close();
    }
  });
});

describe('PostgreSQL apply lock across processes', () => {
  const backend = postgresBackend(inject('pg'));
  let compiled: CompiledStore;

  beforeAll(async () => {
    compiled = await compileStoreForChild();
  });
  afterAll(async () => {
    await compiled.dispose();
    await backend.dispose();
  });

  it('names the holding process, and is freed by the server when that process is killed', async () => {
    const site = await backend.site();
    const { store } = await site.open();
    const holder = await startFixture(compiled, 'apply-lock', site.projectDir, site.databaseUrl);
    try {
      expect(holder.line).toBe('locked');
      const refused = await lockError(store.acquireApplyLock({ timeoutMs: 0 }));
      expect(refused.message).toContain(`'steward apply pid=${holder.pid} `);
      expect(refused.message).toMatch(/server pid \d+, database user postgres/);
      expect(refused.message).toMatch(/since \d{4}-\d\d-\d\dT/);
      expect(refused.message).not.toContain(inject('pg').password);

      const timedOut = await lockError(store.acquireApplyLock({ timeoutMs: 200 }));
      expect(timedOut.message).toContain(`pid=${holder.pid}`);
      expect(timedOut.message).toContain('waited 200 ms');

      // Waiting (bounded by the lock timeout) until the server notices the holder is gone.
      const waiting = store.acquireApplyLock({ timeoutMs: 20_000 });
      await holder.kill();
      const lock = await waiting;
      await lock.release();
    } finally {
      await holder.kill();
      await store.close();
    }
  });
});
