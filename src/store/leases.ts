import { jsonParam } from './json.js';
import { isoTimestamp, type SqlClient } from './sql-client.js';
import type { LeaseRepository } from './lease-types.js';

export function createLeaseRepository(client: SqlClient): LeaseRepository {
  return {
    async claim(resources, holder, ttlMs) {
      if (resources.length === 0) return new Set();
      const rows = await client.query<{ resource: string }>(
        `INSERT INTO steward.leases AS l (resource, holder, expires_at)
         SELECT r, $2, now() + ($3::bigint * interval '1 millisecond') FROM jsonb_array_elements_text($1::jsonb) AS r
         ON CONFLICT (resource) DO UPDATE
            SET holder = EXCLUDED.holder,
                expires_at = EXCLUDED.expires_at,
                acquired_at = CASE WHEN l.holder = EXCLUDED.holder THEN l.acquired_at ELSE now() END
          WHERE l.holder = EXCLUDED.holder OR l.expires_at < now()
         RETURNING resource`,
        [jsonParam([...new Set(resources)].sort()), holder, Math.max(1, Math.trunc(ttlMs))],
      );
      return new Set(rows.map((r) => r.resource));
    },

    async release(holder, resources) {
      if (resources === undefined) {
        await client.query('DELETE FROM steward.leases WHERE holder = $1', [holder]);
        return;
      }
      await client.query('DELETE FROM steward.leases WHERE holder = $1 AND resource IN (SELECT jsonb_array_elements_text($2::jsonb))', [
        holder,
        jsonParam(resources),
      ]);
    },

    async list() {
      const rows = await client.query<{ resource: string; holder: string; acquired_at: string; expires_at: string }>(
        `SELECT resource, holder, ${isoTimestamp('acquired_at')} AS acquired_at, ${isoTimestamp('expires_at')} AS expires_at
           FROM steward.leases ORDER BY resource`,
      );
      return rows.map((r) => ({ resource: r.resource, holder: r.holder, acquiredAt: r.acquired_at, expiresAt: r.expires_at }));
    },
  };
}
