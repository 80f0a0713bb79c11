import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeKey, encodeKey, generateMasterKey, ensureKeyFile } from '../../secrets/index.js';
import { openStoreWithClient } from '../../store/open-store.js';
import { runApply } from '../reconcile.js';
import { withStore } from '../project.js';
import { readSecret, rekey } from './commands.js';
import { makeProject, projectOptions, projectEnv } from '../../../test/project.js';

const SECRET = `apiVersion: steward.dev/v1alpha1
kind: Secret
metadata: { name: api-token }
spec: { length: 48 }
`;

async function sealedRows(dir: string): Promise<readonly unknown[]> {
  const opened = await openStoreWithClient({ projectDir: dir, command: 'test' });
  try {
    return await opened.client.query('SELECT version, ciphertext, iv, tag, wrapped_key, key_fingerprint FROM steward.secret_versions ORDER BY version');
  } finally {
    await opened.store.close();
  }
}

describe('the master key', () => {
  it('refuses a wrong key and a tampered ciphertext without decrypting or overwriting anything, and rekeys without touching ciphertexts', async () => {
    const dir = await makeProject({ 'secret.yaml': SECRET });
    const k1 = generateMasterKey();
    const options = projectOptions(dir, { env: projectEnv({ STEWARD_MASTER_KEY: k1.key.toString('base64') }) });
    const applied = await runApply(options, { confirm: async () => true });
    expect(applied.identities?.secretsCreated).toEqual(['api-token']);
    const { value } = await readSecret(options, 'api-token', 'test');
    expect(value).toHaveLength(48);
    const stored = await sealedRows(dir);

    const wrong = generateMasterKey();
    const withWrong = projectOptions(dir, { env: projectEnv({ STEWARD_MASTER_KEY: wrong.key.toString('base64') }) });
    await expect(readSecret(withWrong, 'api-token', 'test')).rejects.toThrow(
      `secret 'api-token' version 1 is wrapped by master key ${k1.fingerprint}, but the key from STEWARD_MASTER_KEY is ${wrong.fingerprint}: wrong master key, nothing was decrypted`,
    );
    // An apply with the wrong key changes nothing either.
    const refused = await runApply(withWrong, { confirm: async () => true });
    expect(refused.identities?.secretsCreated).toEqual([]);
    expect(await sealedRows(dir)).toEqual(stored);

    const opened = await openStoreWithClient({ projectDir: dir, command: 'test' });
    try {
      // The first character changed, whatever it is (a swap of two letters might find neither).
      await opened.client.query(`UPDATE steward.secret_versions SET ciphertext = CASE WHEN left(ciphertext, 1) = 'A' THEN 'B' ELSE 'A' END || substr(ciphertext, 2)`);
    } finally {
      await opened.store.close();
    }
    await expect(readSecret(options, 'api-token', 'test')).rejects.toThrow(/secret 'api-token' version 1 failed authentication: the stored value was altered/);
    const restore = await openStoreWithClient({ projectDir: dir, command: 'test' });
    try {
      await restore.client.query('UPDATE steward.secret_versions SET ciphertext = $1', [(stored[0] as { ciphertext: string }).ciphertext]);
    } finally {
      await restore.store.close();
    }

    const k2 = generateMasterKey();
    const report = await rekey(options, k2);
    expect(report).toMatchObject({ rewrapped: 1, from: k1.fingerprint, to: k2.fingerprint });
    const rewrapped = await sealedRows(dir);
    expect(rewrapped.map((r) => (r as { ciphertext: string }).ciphertext)).toEqual(stored.map((r) => (r as { ciphertext: string }).ciphertext));
    expect(rewrapped.map((r) => (r as { key_fingerprint: string }).key_fingerprint)).toEqual([k2.fingerprint]);
    await expect(readSecret(options, 'api-token', 'test')).rejects.toThrow(/wrong master key/);
    const withK2 = projectOptions(dir, { env: projectEnv({ STEWARD_MASTER_KEY: k2.key.toString('base64') }) });
    expect((await readSecret(withK2, 'api-token', 'test')).value).toBe(value);
    await withStore(withK2, async (store) => {
      const reads = (await store.audit.list()).filter((e) => e.action === 'secret.read');
      expect(reads.map((e) => e.actor)).toEqual(['test-runner', 'test-runner']);
    });
  });

  it('with the key file: rekey replaces it, and a rekey interrupted before the swap is finished with the key it left', async () => {
    const dir = await makeProject({ 'secret.yaml': SECRET });
    expect(await ensureKeyFile(join(dir, '.steward'))).toBe(true);
    expect(await ensureKeyFile(join(dir, '.steward'))).toBe(false);
    expect((await stat(join(dir, '.steward/master.key'))).mode & 0o777).toBe(0o600);
    const options = projectOptions(dir);
    await runApply(options, { confirm: async () => true });
    const { value } = await readSecret(options, 'api-token', 'test');

    const before = decodeKey(await readFile(join(dir, '.steward/master.key'), 'utf8'), 'file');
    const first = await rekey(options);
    expect(first.from).toBe(before.fingerprint);
    expect(decodeKey(await readFile(join(dir, '.steward/master.key'), 'utf8'), 'file').fingerprint).toBe(first.to);
    await expect(stat(join(dir, '.steward/master.key.new'))).rejects.toThrow(/ENOENT/);
    expect((await readSecret(options, 'api-token', 'test')).value).toBe(value);

    // A crash after writing master.key.new (and maybe after rewrapping): both keys open the
    // store, and the next rekey finishes with the key that was left.
    const pending = generateMasterKey();
    await writeFile(join(dir, '.steward/master.key.new'), encodeKey(pending), { mode: 0o600 });
    expect((await readSecret(options, 'api-token', 'test')).value).toBe(value);
    const resumed = await rekey(options);
    expect(resumed.to).toBe(pending.fingerprint);
    expect((await readSecret(options, 'api-token', 'test')).value).toBe(value);
  });
});
