import type { DatabaseConnection } from './connection.js';

/**
 * The rows of `sql` as the server sends them in one JSON text (`json_agg`), parsed at once by
 * `JSON.parse`: for a thousand rows and more, the driver's own row by row decoding costs several
 * times as much, most of it in the first command's cold code. Columns come back as JSON has them:
 * numbers, booleans, strings, arrays of them, and null — not dates or 64-bit integers, which a
 * query for this must cast to text (or to `int`) itself.
 */
export async function jsonRows<R>(db: Pick<DatabaseConnection, 'query'>, sql: string, params: readonly unknown[]): Promise<readonly R[]> {
  // The subquery ends on a line of its own, so a comment on the query's last line ends there.
  const { rows } = await db.query<{ rows: string }>(`SELECT coalesce(json_agg(q), '[]')::text AS rows FROM (${sql}\n) q`, params);
  return JSON.parse(rows[0]?.rows ?? '[]') as R[];
}
