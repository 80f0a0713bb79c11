import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/index.js';
import { withLoadedStore, type ProjectOptions } from './project.js';

describe('loading a project while its store opens', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  const options = async (lockTimeoutMs: number): Promise<ProjectOptions> => {
    const dir = await mkdtemp(join(tmpdir(), 'steward-loaded-store-'));
    dirs.push(dir);
    return { dir, lockTimeoutMs, command: 'test', parallelism: 2, env: {} };
  };
  const holdStore = (o: ProjectOptions): Promise<Store> => openStore({ projectDir: o.dir, command: 'holder', lockTimeoutMs: 0 });

  it('hands what was loaded and the open store to the work, and closes the store after it', async () => {
    const o = await options(0);
    const runId = await withLoadedStore(
      o,
      async () => 'loaded',
      async (loaded, store) => {
        expect(loaded).toBe('loaded');
        return store.startRun({ command: 'apply', actor: 'test' });
      },
    );
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    // Closed, with the work kept: another open takes the store at once and finds the run's entry.
    const again = await holdStore(o);
    try {
      expect(await again.audit.verify()).toMatchObject({ ok: true, entries: 1 });
    } finally {
      await again.close();
    }
  });

  it('reports a failed load, and closes the store it opened meanwhile', async () => {
    const o = await options(0);
    const work = withLoadedStore(
      o,
      async () => {
        throw new Error('manifests/roles.yaml:3: spec.name is required');
      },
      async () => 'never',
    );
    await expect(work).rejects.toThrow('manifests/roles.yaml:3: spec.name is required');
    const again = await holdStore(o);
    await again.close();
  });

  it('stops waiting for a store held elsewhere when the load fails, and reports the load', async () => {
    // Without the stop, this would wait the full ten minutes for the holder to let go.
    const o = await options(600_000);
    const holder = await holdStore(o);
    try {
      const work = withLoadedStore(
        o,
        async () => {
          throw new Error('policy.yaml:1: unknown rule');
        },
        async () => 'never',
      );
      await expect(work).rejects.toThrow('policy.yaml:1: unknown rule');
    } finally {
      await holder.close();
    }
  });

  it('reports a store that cannot be opened once the load has succeeded, and does no work', async () => {
    const o = await options(0);
    const holder = await holdStore(o);
    let worked = false;
    try {
      const work = withLoadedStore(
        o,
        async () => 'loaded',
        async () => {
          worked = true;
        },
      );
      await expect(work).rejects.toMatchObject({ code: 'lock-timeout' });
      expect(worked).toBe(false);
    } finally {
      await holder.close();
    }
  });
});
