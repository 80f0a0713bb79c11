import pg from 'pg';
import { inject } from 'vitest';

/**
 * PostgreSQL 16 added per-membership INHERIT and SET options; older servers refuse manifests that
 * declare them (see src/providers/postgres/membership.ts).
 */
export const MEMBERSHIP_OPTIONS_VERSION = 160000;

/**
 * `server_version_num` of the server this test project runs against (e.g. 140023 or 180004), for
 * the few tests whose cases depend on the version. The same suites run on several versions.
 */
export async function serverVersionNum(): Promise<number> {
  const { host, port, user, password } = inject('pg');
  const client = new pg.Client({ host, port, user, password, database: 'postgres' });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: string }>(`SELECT current_setting('server_version_num') AS version`);
    const version = Number(rows[0]?.version);
    if (!Number.isInteger(version)) throw new Error(`unexpected server_version_num ${String(rows[0]?.version)}`);
    return version;
  } finally {
    await client.end();
  }
}
