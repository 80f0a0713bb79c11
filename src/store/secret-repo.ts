import { randomUUID } from 'node:crypto';
import { StewardError } from '../core/errors.js';
import type { JsonValue } from '../core/resource.js';
import { jsonParam } from './json.js';
import { isoTimestamp, type SqlClient, type SqlQueryable } from './sql-client.js';
import type { SealedValue, SecretOrigin, SecretRecord, SecretRepository, SecretVersionRecord, SecretVersionState } from './secret-types.js';

interface SecretRow {
  readonly name: string;
  readonly id: string;
  readonly origin: SecretOrigin;
  readonly owner: string | null;
  readonly created_at: string;
}

interface VersionRow {
  readonly name: string;
  readonly secret_id: string;
  readonly version: number;
  readonly state: SecretVersionState;
  readonly ciphertext: string | null;
  readonly iv: string | null;
  readonly tag: string | null;
  readonly wrapped_key: string | null;
  readonly key_fingerprint: string | null;
  readonly hmac: string;
  readonly meta: JsonValue;
  readonly created_at: string;
  readonly destroy_after: string | null;
}

const SECRET_COLUMNS = `name, id::text AS id, origin, owner, ${isoTimestamp('created_at')} AS created_at`;
const VERSION_COLUMNS = `s.name, v.secret_id::text AS secret_id, v.version, v.state, v.ciphertext, v.iv, v.tag, v.wrapped_key,
  v.key_fingerprint, v.hmac, v.meta, ${isoTimestamp('v.created_at')} AS created_at,
  CASE WHEN v.destroy_after IS NULL THEN NULL ELSE ${isoTimestamp('v.destroy_after')} END AS destroy_after`;

function toSecret(row: SecretRow): SecretRecord {
  return { name: row.name, id: row.id, origin: row.origin, owner: row.owner, createdAt: row.created_at };
}

function toVersion(row: VersionRow): SecretVersionRecord {
  const sealed: SealedValue | null =
    row.ciphertext === null || row.iv === null || row.tag === null || row.wrapped_key === null || row.key_fingerprint === null
      ? null
      : { ciphertext: row.ciphertext, iv: row.iv, tag: row.tag, wrappedKey: row.wrapped_key, keyFingerprint: row.key_fingerprint };
  return {
    secretName: row.name,
    secretId: row.secret_id,
    version: row.version,
    state: row.state,
    sealed,
    hmac: row.hmac,
    meta: row.meta,
    createdAt: row.created_at,
    destroyAfter: row.destroy_after,
  };
}

const DESTROY = `state = 'destroyed', ciphertext = NULL, iv = NULL, tag = NULL, wrapped_key = NULL, key_fingerprint = NULL, destroyed_at = now()`;

async function secretId(tx: SqlQueryable, name: string): Promise<string> {
  const [row] = await tx.query<{ id: string }>('SELECT id::text AS id FROM steward.secrets WHERE name = $1', [name]);
  if (row === undefined) throw new StewardError('not-found', `there is no secret named '${name}' in the store`);
  return row.id;
}

async function versionsOf(tx: SqlQueryable, name: string): Promise<readonly SecretVersionRecord[]> {
  const rows = await tx.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM steward.secret_versions v JOIN steward.secrets s ON s.id = v.secret_id
      WHERE s.name = $1 ORDER BY v.version DESC`,
    [name],
  );
  return rows.map(toVersion);
}

/** Encrypted secret versions; the store never sees a plaintext (callers seal before writing). */
export function createSecretRepository(client: SqlClient): SecretRepository {
  return {
    async ensure(name, origin, owner) {
      await client.query(
        `INSERT INTO steward.secrets (name, id, origin, owner) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING`,
        [name, randomUUID(), origin, owner],
      );
      const [row] = await client.query<SecretRow>(`SELECT ${SECRET_COLUMNS} FROM steward.secrets WHERE name = $1`, [name]);
      if (row === undefined) throw new StewardError('internal', `secret '${name}' was not created`);
      return toSecret(row);
    },

    async get(name) {
      const [row] = await client.query<SecretRow>(`SELECT ${SECRET_COLUMNS} FROM steward.secrets WHERE name = $1`, [name]);
      return row === undefined ? undefined : toSecret(row);
    },

    async list() {
      const rows = await client.query<SecretRow>(`SELECT ${SECRET_COLUMNS} FROM steward.secrets ORDER BY name`);
      return rows.map(toSecret);
    },

    versions: (name) => versionsOf(client, name),

    async addVersion(name, input, previousDestroyAfter = null) {
      return client.transaction(async (tx) => {
        const id = await secretId(tx, name);
        const [max] = await tx.query<{ v: number }>('SELECT coalesce(max(version), 0)::int AS v FROM steward.secret_versions WHERE secret_id = $1', [id]);
        const version = (max?.v ?? 0) + 1;
        const sealed = input.seal(id, version);
        if (input.state === 'current') {
          await tx.query(`UPDATE steward.secret_versions SET state = 'previous', destroy_after = $2::timestamptz WHERE secret_id = $1 AND state = 'current'`, [
            id,
            previousDestroyAfter,
          ]);
        }
        await tx.query(
          `INSERT INTO steward.secret_versions (secret_id, version, state, ciphertext, iv, tag, wrapped_key, key_fingerprint, hmac, meta)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)`,
          [id, version, input.state, sealed.ciphertext, sealed.iv, sealed.tag, sealed.wrappedKey, sealed.keyFingerprint, input.hmac, jsonParam(input.meta ?? {})],
        );
        const created = (await versionsOf(tx, name)).find((v) => v.version === version);
        if (created === undefined) throw new StewardError('internal', `version ${version} of '${name}' was not written`);
        return created;
      });
    },

    async promote(name, version, previousDestroyAfter) {
      await client.transaction(async (tx) => {
        const id = await secretId(tx, name);
        const [pending] = await tx.query<{ state: string }>('SELECT state FROM steward.secret_versions WHERE secret_id = $1 AND version = $2', [id, version]);
        if (pending?.state === 'current') return;
        if (pending?.state !== 'pending') throw new StewardError('invalid-input', `version ${version} of '${name}' is ${pending?.state ?? 'missing'}, not pending`);
        await tx.query(`UPDATE steward.secret_versions SET state = 'previous', destroy_after = $2::timestamptz WHERE secret_id = $1 AND state = 'current'`, [
          id,
          previousDestroyAfter,
        ]);
        await tx.query(`UPDATE steward.secret_versions SET state = 'current' WHERE secret_id = $1 AND version = $2`, [id, version]);
      });
    },

    async destroyVersion(name, version) {
      await client.query(
        `UPDATE steward.secret_versions SET ${DESTROY}
          WHERE secret_id = (SELECT id FROM steward.secrets WHERE name = $1) AND version = $2 AND state <> 'destroyed'`,
        [name, version],
      );
    },

    async destroyExpired(now) {
      const rows = await client.query<{ name: string; version: number }>(
        `UPDATE steward.secret_versions v SET ${DESTROY}
           FROM steward.secrets s
          WHERE s.id = v.secret_id AND v.state = 'previous' AND v.destroy_after IS NOT NULL AND v.destroy_after <= $1::timestamptz
          RETURNING s.name, v.version`,
        [now.toISOString()],
      );
      return rows.map((r) => ({ name: r.name, version: r.version }));
    },

    async remove(name) {
      await client.transaction(async (tx) => {
        await tx.query(`UPDATE steward.secret_versions SET ${DESTROY} WHERE secret_id = (SELECT id FROM steward.secrets WHERE name = $1) AND state <> 'destroyed'`, [name]);
        await tx.query('DELETE FROM steward.secrets WHERE name = $1', [name]);
      });
    },

    async rewrapAll(rewrap) {
      return client.transaction(async (tx) => {
        const rows = await tx.query<VersionRow>(
          `SELECT ${VERSION_COLUMNS} FROM steward.secret_versions v JOIN steward.secrets s ON s.id = v.secret_id
            WHERE v.state <> 'destroyed' ORDER BY s.name, v.version FOR UPDATE OF v`,
        );
        for (const row of rows) {
          const next = rewrap(toVersion(row));
          await tx.query('UPDATE steward.secret_versions SET wrapped_key = $3, key_fingerprint = $4 WHERE secret_id = $1 AND version = $2', [
            row.secret_id,
            row.version,
            next.wrappedKey,
            next.keyFingerprint,
          ]);
        }
        return rows.length;
      });
    },

    async appliedHash(address, field) {
      const [row] = await client.query<{ hmac: string }>('SELECT hmac FROM steward.sensitive_applied WHERE address = $1 AND field = $2', [address, field]);
      return row?.hmac;
    },

    async recordApplied(address, field, hmac) {
      await client.query(
        `INSERT INTO steward.sensitive_applied (address, field, hmac) VALUES ($1, $2, $3)
         ON CONFLICT (address, field) DO UPDATE SET hmac = EXCLUDED.hmac, applied_at = now()`,
        [address, field, hmac],
      );
    },
  };
}
