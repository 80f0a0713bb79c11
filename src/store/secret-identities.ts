import { jsonParam } from './json.js';
import { isoTimestamp, type SqlClient } from './sql-client.js';
import type { AgentIdentityRecord, IdentityRepository, RotationStep } from './secret-types.js';

interface IdentityRow {
  readonly agent: string;
  readonly secret_name: string;
  readonly instance: string;
  readonly database: string;
  readonly group_role: string;
  readonly logins: readonly string[];
  readonly active_login: string | null;
  readonly env_file: string | null;
  readonly step: RotationStep;
  readonly pending_login: string | null;
  readonly pending_version: number | null;
  readonly retiring_login: string | null;
  readonly grace_until: string | null;
  readonly rotated_at: string | null;
}

const maybeIso = (column: string): string => `CASE WHEN ${column} IS NULL THEN NULL ELSE ${isoTimestamp(column)} END AS ${column}`;

const COLUMNS = `agent, secret_name, instance, database, group_role, logins, active_login, env_file, step, pending_login,
  pending_version, retiring_login, ${maybeIso('grace_until')}, ${maybeIso('rotated_at')}`;

function toRecord(row: IdentityRow): AgentIdentityRecord {
  return {
    agent: row.agent,
    secretName: row.secret_name,
    instance: row.instance,
    database: row.database,
    groupRole: row.group_role,
    logins: row.logins,
    activeLogin: row.active_login,
    envFile: row.env_file,
    step: row.step,
    pendingLogin: row.pending_login,
    pendingVersion: row.pending_version,
    retiringLogin: row.retiring_login,
    graceUntil: row.grace_until,
    rotatedAt: row.rotated_at,
  };
}

/** Agent identities and their rotation state; each write is one statement, so a step is atomic. */
export function createIdentityRepository(client: SqlClient): IdentityRepository {
  return {
    async get(agent) {
      const [row] = await client.query<IdentityRow>(`SELECT ${COLUMNS} FROM steward.agent_identities WHERE agent = $1`, [agent]);
      return row === undefined ? undefined : toRecord(row);
    },
    async list() {
      const rows = await client.query<IdentityRow>(`SELECT ${COLUMNS} FROM steward.agent_identities ORDER BY agent`);
      return rows.map(toRecord);
    },
    async put(r) {
      await client.query(
        `INSERT INTO steward.agent_identities (agent, secret_name, instance, database, group_role, logins, active_login, env_file, step,
                                               pending_login, pending_version, retiring_login, grace_until, rotated_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13::timestamptz, $14::timestamptz, now())
         ON CONFLICT (agent) DO UPDATE SET secret_name = EXCLUDED.secret_name, instance = EXCLUDED.instance, database = EXCLUDED.database,
           group_role = EXCLUDED.group_role, logins = EXCLUDED.logins, active_login = EXCLUDED.active_login, env_file = EXCLUDED.env_file,
           step = EXCLUDED.step, pending_login = EXCLUDED.pending_login, pending_version = EXCLUDED.pending_version,
           retiring_login = EXCLUDED.retiring_login, grace_until = EXCLUDED.grace_until, rotated_at = EXCLUDED.rotated_at, updated_at = now()`,
        [
          r.agent,
          r.secretName,
          r.instance,
          r.database,
          r.groupRole,
          jsonParam(r.logins),
          r.activeLogin,
          r.envFile,
          r.step,
          r.pendingLogin,
          r.pendingVersion,
          r.retiringLogin,
          r.graceUntil,
          r.rotatedAt,
        ],
      );
    },
    async remove(agent) {
      await client.query('DELETE FROM steward.agent_identities WHERE agent = $1', [agent]);
    },
  };
}
