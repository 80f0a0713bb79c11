import { afterAll, describe, expect, inject, it } from 'vitest';
import type { SealedValue } from './secret-types.js';
import { backends } from './test-support/backends.js';

/** Stand-in sealing: the store only moves opaque base64 parts around, it never opens them. */
const sealed = (tag: string) => (id: string, version: number): SealedValue => ({
  ciphertext: Buffer.from(`${tag}:${id}:${version}`).toString('base64'),
  iv: 'aXY=',
  tag: 'dGFn',
  wrappedKey: 'd3JhcHBlZA==',
  keyFingerprint: 'fp-1',
});

describe.each(backends(inject('pg')))('secret store on the $name backend', (backend) => {
  afterAll(() => backend.dispose());

  it('keeps versions: a new current one demotes the old, pending ones are promoted, expired ones destroyed', async () => {
    const { store } = await (await backend.site()).open();
    try {
      const secret = await store.secrets.ensure('api-token', 'generated', null);
      expect(await store.secrets.ensure('api-token', 'external', 'x')).toEqual(secret);
      const v1 = await store.secrets.addVersion('api-token', { state: 'current', hmac: 'hmac:1', seal: sealed('one') });
      expect(v1).toMatchObject({ version: 1, state: 'current', hmac: 'hmac:1', destroyAfter: null });
      expect(v1.sealed?.ciphertext).toBe(Buffer.from(`one:${secret.id}:1`).toString('base64'));

      const past = new Date(Date.now() - 1000).toISOString();
      const v2 = await store.secrets.addVersion('api-token', { state: 'current', hmac: 'hmac:2', meta: { login: 'a' }, seal: sealed('two') }, past);
      expect(v2).toMatchObject({ version: 2, state: 'current', meta: { login: 'a' } });
      const v3 = await store.secrets.addVersion('api-token', { state: 'pending', hmac: 'hmac:3', seal: sealed('three') });
      expect((await store.secrets.versions('api-token')).map((v) => [v.version, v.state])).toEqual([
        [3, 'pending'],
        [2, 'current'],
        [1, 'previous'],
      ]);

      expect(await store.secrets.destroyExpired(new Date())).toEqual([{ name: 'api-token', version: 1 }]);
      await store.secrets.promote('api-token', v3.version, null);
      await store.secrets.promote('api-token', v3.version, null); // repeating it is harmless
      const after = await store.secrets.versions('api-token');
      expect(after.map((v) => [v.version, v.state, v.sealed === null])).toEqual([
        [3, 'current', false],
        [2, 'previous', false],
        [1, 'destroyed', true],
      ]);
      expect(after.find((v) => v.version === 1)?.hmac).toBe('hmac:1');
      await expect(store.secrets.promote('api-token', 1, null)).rejects.toThrow(/version 1 of 'api-token' is destroyed, not pending/);

      expect(await store.secrets.rewrapAll((v) => ({ wrappedKey: `${v.version}`, keyFingerprint: 'fp-2' }))).toBe(2);
      expect((await store.secrets.versions('api-token')).filter((v) => v.sealed !== null).map((v) => v.sealed?.keyFingerprint)).toEqual(['fp-2', 'fp-2']);

      await store.secrets.remove('api-token');
      expect(await store.secrets.list()).toEqual([]);
      expect(await store.secrets.versions('api-token')).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('keeps agent identities and their rotation state', async () => {
    const { store } = await (await backend.site()).open();
    try {
      const identity = {
        agent: 'billing-bot',
        secretName: 'billing-bot.credentials',
        instance: 'main',
        database: 'app',
        groupRole: 'billing_bot',
        logins: ['billing_bot_a', 'billing_bot_b'],
        activeLogin: null,
        envFile: '.run/billing-bot.env',
        step: 'idle',
        pendingLogin: null,
        pendingVersion: null,
        retiringLogin: null,
        graceUntil: null,
        rotatedAt: null,
      } as const;
      await store.identities.put(identity);
      const grace = { ...identity, activeLogin: 'billing_bot_b', step: 'grace', retiringLogin: 'billing_bot_a', graceUntil: '2030-01-01T00:00:00.000Z', rotatedAt: '2029-12-31T23:00:00.000Z' } as const;
      await store.identities.put(grace);
      expect(await store.identities.get('billing-bot')).toEqual(grace);
      expect(await store.identities.list()).toEqual([grace]);
      await store.identities.remove('billing-bot');
      expect(await store.identities.get('billing-bot')).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
