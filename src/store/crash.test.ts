import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { backends } from './test-support/backends.js';
import { compileStoreForChild, startFixture, type CompiledStore } from './test-support/child.js';

describe.each(backends(inject('pg')))('a process killed mid-change on the $name backend', (backend) => {
  let compiled: CompiledStore;

  beforeAll(async () => {
    compiled = await compileStoreForChild();
  });
  afterAll(async () => {
    await compiled.dispose();
    await backend.dispose();
  });

  it('leaves its intent unresolved for the next process to find', async () => {
    const site = await backend.site();
    const child = await startFixture(compiled, 'intent', site.projectDir, site.databaseUrl);
    await child.kill();
    const { runId, intentId } = JSON.parse(child.line) as { runId: string; intentId: string };

    const { store } = await site.open();
    try {
      const pending = await store.unresolvedIntents();
      expect(pending).toEqual([
        expect.objectContaining({ id: intentId, runId, address: 'PostgresRole/killed-mid-change', action: 'create' }),
      ]);
      const audit = await store.audit.list({ address: 'PostgresRole/killed-mid-change' });
      expect(audit.map((e) => e.outcome)).toEqual(['pending']);
      await store.resolveIntent(pending[0]!, { status: 'recovered', detail: { found: 'absent' } });
      expect(await store.unresolvedIntents()).toEqual([]);
      expect((await store.audit.verify()).ok).toBe(true);
    } finally {
      await store.close();
    }
  });
});
