import { access } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StewardError } from '../core/errors.js';
import type { OpenedStore } from './open-store.js';
import { embeddedBackend, type StoreSite } from './test-support/backends.js';
import { compileStoreForChild, startFixture, type CompiledStore } from './test-support/child.js';

async function lockError(promise: Promise<OpenedStore>): Promise<StewardError> {
  const outcome: unknown = await promise.then(
    async (opened) => {
      await opened.store.close();
      return new Error('the store opened although it should be locked');
    },
    (error: unknown) => error,
  );
  if (!(outcome instanceof StewardError)) throw outcome;
  expect(outcome.code).toBe('lock-timeout');
  return outcome;
}

describe('embedded store lock', () => {
  const backend = embeddedBackend();
  let compiled: CompiledStore;

  beforeAll(async () => {
    compiled = await compileStoreForChild();
  });
  afterAll(async () => {
    await compiled.dispose();
    await backend.dispose();
  });

  it('keeps a second opener out, naming the holder and the store, until the first closes', async () => {
    const site: StoreSite = await backend.site();
    const first = await site.open({ command: 'apply' });
    const error = await lockError(site.open({ command: 'plan' }));
    expect(error.message).toContain(`pid ${process.pid}`);
    expect(error.message).toContain('steward apply');
    expect(error.message).toContain(`@${hostname()}`);
    expect(error.message).toMatch(/since \d{4}-\d\d-\d\dT/);
    expect(error.message).toContain(first.store.location);
    expect(error.kind).toBe('transient');

    // A waiting opener gets the store as soon as the holder closes it.
    const waiting = site.open({ command: 'plan', lockTimeoutMs: 20_000 });
    await first.store.close();
    const second = await waiting;
    await second.store.close();
  });

  it('waits up to lockTimeoutMs before giving up', async () => {
    const site = await backend.site();
    const first = await site.open();
    try {
      const started = Date.now();
      const error = await lockError(site.open({ lockTimeoutMs: 300 }));
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(error.message).toContain('waited 300 ms');
    } finally {
      await first.store.close();
    }
  });

  it('is held by another process until the kernel frees it when that process is killed', async () => {
    const site = await backend.site();
    const holder = await startFixture(compiled, 'store', site.projectDir, undefined);
    try {
      expect(holder.line).toBe('ready');
      const error = await lockError(site.open());
      expect(error.message).toContain(`pid ${holder.pid}`);
      expect(error.message).toContain('steward fixture');
    } finally {
      await holder.kill();
    }
    const after = await site.open();
    try {
      expect(await after.store.listResources()).toEqual([]);
      expect((await after.store.audit.verify()).ok).toBe(true);
    } finally {
      await after.store.close();
    }
  });

  it('falls back to a socket file, which a killed holder leaves stale and the next opener removes', async () => {
    const site = await backend.site();
    const holder = await startFixture(compiled, 'store-file', site.projectDir, undefined);
    const socket = join(site.projectDir, '.steward', 'store.sock');
    try {
      await access(socket);
      const error = await lockError(site.open({ storeLockMode: 'file' }));
      expect(error.message).toContain(`pid ${holder.pid}`);
    } finally {
      await holder.kill();
    }
    await access(socket); // still there: nobody cleaned it up
    const after = await site.open({ storeLockMode: 'file' });
    const contender = await lockError(site.open({ storeLockMode: 'file' }));
    expect(contender.message).toContain(`pid ${process.pid}`);
    await after.store.close();
    await expect(access(socket)).rejects.toThrow();
  });
});
