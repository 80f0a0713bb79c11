import { afterAll, describe, expect, it } from 'vitest';
import type { PostgresInstanceSpec } from '../../kinds/index.js';
import type { DesiredResource } from '../../core/index.js';
import { testEnv, testInstance, uniqueName } from '../../../test/fixtures.js';
import { connectInstance } from './connection.js';

const conn = await connectInstance(testInstance() as DesiredResource<PostgresInstanceSpec>, { maxConnections: 1, lockTimeoutMs: 5_000 }, testEnv());
afterAll(() => conn.close());

async function roles(names: readonly string[]): Promise<readonly string[]> {
  const { rows } = await conn.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[]) ORDER BY rolname', [names]);
  return rows.map((r) => r.rolname);
}

describe('sending several transactions in one message', () => {
  it('commits each on its own: a failing one rolls back alone, the ones before it stay and the ones after it never run', async () => {
    const [first, second, third] = ['tx_first', 'tx_second', 'tx_third'].map(uniqueName) as [string, string, string];
    try {
      const sent = conn.database('postgres').transactions([
        `CREATE ROLE ${first}`,
        // The role is created, then the transaction fails: nothing of it may remain.
        `CREATE ROLE ${second};\nALTER ROLE ${second} SET work_mem = 'not-a-size'`,
        `CREATE ROLE ${third}`,
      ]);
      await expect(sent).rejects.toThrow(/work_mem/);
      expect(await roles([first, second, third])).toEqual([first]);

      // The connection went back to the pool usable, outside any transaction (one connection in all).
      const { rows } = await conn.query<{ open: boolean }>("SELECT now() <> statement_timestamp() AS open");
      expect(rows[0]?.open).toBe(false);
    } finally {
      await conn.query(`DROP ROLE IF EXISTS ${first}, ${second}, ${third}`);
    }
  });

  it('runs every transaction when none fails, and sends nothing for an empty list', async () => {
    const names = ['tx_a', 'tx_b', 'tx_c'].map(uniqueName);
    const before = conn.statementCount;
    await conn.database('postgres').transactions([]);
    expect(conn.statementCount).toBe(before);
    try {
      await conn.database('postgres').transactions(names.map((n) => `CREATE ROLE ${n};\nCOMMENT ON ROLE ${n} IS 'sent together'`));
      expect(await roles(names)).toEqual([...names].sort());
      expect(conn.statementCount).toBe(before + 2);
    } finally {
      await conn.query(`DROP ROLE IF EXISTS ${names.join(', ')}`);
    }
  });
});
