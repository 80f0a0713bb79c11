import { afterAll, describe, expect, it } from 'vitest';
import type { PostgresInstanceSpec } from '../../kinds/index.js';
import type { DesiredResource } from '../../core/index.js';
import { testEnv, testInstance } from '../../../test/fixtures.js';
import { connectInstance } from './connection.js';
import { jsonRows } from './json-rows.js';

const conn = await connectInstance(testInstance() as DesiredResource<PostgresInstanceSpec>, { maxConnections: 1, lockTimeoutMs: 5_000 }, testEnv());
afterAll(() => conn.close());

describe('rows read as one JSON text', () => {
  it('gives each column as the driver would for text, numbers, booleans, arrays and NULL, in one statement', async () => {
    const before = conn.statementCount;
    const rows = await jsonRows<Record<string, unknown>>(
      conn,
      `SELECT n, n::text AS label, n % 2 = 0 AS even, ARRAY['a', n::text] AS items, NULLIF(n, 2)::text AS maybe
         FROM generate_series(1, $1::int) AS n
        ORDER BY n -- a comment on the query's last line`,
      [3],
    );
    expect([...rows].sort((a, b) => Number(a['n']) - Number(b['n']))).toEqual([
      { n: 1, label: '1', even: false, items: ['a', '1'], maybe: '1' },
      { n: 2, label: '2', even: true, items: ['a', '2'], maybe: null },
      { n: 3, label: '3', even: false, items: ['a', '3'], maybe: '3' },
    ]);
    expect(conn.statementCount).toBe(before + 1);
  });

  it('gives an empty list when there are no rows', async () => {
    expect(await jsonRows(conn, 'SELECT 1 AS one WHERE false', [])).toEqual([]);
  });
});
