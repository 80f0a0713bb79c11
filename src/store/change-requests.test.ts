import { afterAll, describe, expect, inject, it } from 'vitest';
import { StewardError } from '../core/errors.js';
import { backends } from './test-support/backends.js';

const proposal = (address: string) => ({
  address,
  action: 'update',
  planHash: 'hash-1',
  plan: { fields: [{ field: 'connectionLimit', before: 5, after: 1 }] },
  reason: 'it differs from the manifest',
  destructive: false,
  proposer: 'agent@host',
  requiredApprovals: 2,
  expiresInMs: 60_000,
});

describe.each(backends(inject('pg')))('change requests and leases on the $name backend', (backend) => {
  afterAll(() => backend.dispose());

  it('needs distinct approvals, refuses the proposer and a second decision, and audits every step', async () => {
    const { store } = await (await backend.site()).open();
    try {
      const request = await store.changeRequests.propose(proposal('PostgresRole/app'));
      expect(request).toMatchObject({ status: 'pending', requiredApprovals: 2, decisions: [] });
      await expect(store.changeRequests.decide({ id: request.id, approver: 'agent@host', decision: 'approve' })).rejects.toThrow(/separation of duties/);
      const once = await store.changeRequests.decide({ id: request.id, approver: 'alice', decision: 'approve' });
      expect(once.status).toBe('pending');
      await expect(store.changeRequests.decide({ id: request.id, approver: 'alice', decision: 'approve' })).rejects.toThrow(/already decided/);
      const twice = await store.changeRequests.decide({ id: request.id, approver: 'bob', decision: 'approve', comment: 'ok' });
      expect(twice.status).toBe('approved');
      expect(twice.decisions.map((d) => d.approver)).toEqual(['alice', 'bob']);
      expect(await store.changeRequests.close(request.id, 'applied', 'agent@host', 'applied')).toBe(true);
      expect(await store.changeRequests.close(request.id, 'applied', 'agent@host', 'applied')).toBe(false);
      const audit = await store.audit.list({ address: 'PostgresRole/app' });
      expect(audit.map((e) => e.action)).toEqual(['change.proposed', 'change.approved', 'change.approved', 'change.applied']);
      expect((await store.audit.verify()).ok).toBe(true);

      const rejected = await store.changeRequests.propose(proposal('PostgresRole/other'));
      expect((await store.changeRequests.decide({ id: rejected.id, approver: 'carol', decision: 'reject' })).status).toBe('rejected');
      const error = await store.changeRequests.decide({ id: rejected.id, approver: 'dave', decision: 'approve' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StewardError);
      expect((error as StewardError).message).toMatch(/rejected, not pending/);

      const expiring = await store.changeRequests.propose({ ...proposal('PostgresRole/late'), expiresInMs: 1 });
      await expect.poll(() => store.changeRequests.expireDue('agent@host')).toBe(1);
      expect((await store.changeRequests.get(expiring.id))?.status).toBe('expired');
      expect(await store.changeRequests.pendingCount()).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('gives a lease to one holder until it expires, then to another', async () => {
    const { store } = await (await backend.site()).open();
    try {
      expect([...(await store.leases.claim(['A/a', 'A/b'], 'one', 60_000))].sort()).toEqual(['A/a', 'A/b']);
      expect([...(await store.leases.claim(['A/a', 'A/c'], 'two', 60_000))]).toEqual(['A/c']);
      expect([...(await store.leases.claim(['A/a'], 'one', 1))]).toEqual(['A/a']);
      await expect.poll(async () => [...(await store.leases.claim(['A/a'], 'two', 60_000))]).toEqual(['A/a']);
      await store.leases.release('two');
      expect((await store.leases.list()).map((l) => `${l.resource}:${l.holder}`)).toEqual(['A/b:one']);
    } finally {
      await store.close();
    }
  });
});
