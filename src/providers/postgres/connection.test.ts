import { afterAll, describe, expect, it } from 'vitest';
import type { PostgresInstanceSpec } from '../../kinds/index.js';
import type { DesiredResource } from '../../core/index.js';
import { testEnv, testInstance, uniqueName } from '../../../test/fixtures.js';
import { waitFor } from '../../../test/project.js';
import { connectInstance, type InstanceConnection } from './connection.js';
import { CATALOG_LOCK_NAMESPACE, CATALOG_LOCK_SQL } from './object-lock.js';

const conn = await connectInstance(testInstance() as DesiredResource<PostgresInstanceSpec>, { maxConnections: 1, lockTimeoutMs: 5_000 }, testEnv());
afterAll(() => conn.close());

/** Whether some session waits for the advisory lock of `key` (two-key form, as catalog locks take it). */
async function waitsForLock(observer: InstanceConnection, key: string): Promise<boolean> {
  const { rows } = await observer.query<{ waiting: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objsubid = 2
                      AND objid::text::bigint = (hashtext($1)::bigint & 4294967295)) AS waiting`,
    [key],
  );
  return rows[0]?.waiting === true;
}

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

describe('messages of transactions to one database', () => {
  it('go one at a time: a second message waits for the first, even with connections free', async () => {
    const connect = (maxConnections: number) => connectInstance(testInstance() as DesiredResource<PostgresInstanceSpec>, { maxConnections, lockTimeoutMs: 20_000 }, testEnv());
    const two = await connect(2);
    const observer = await connect(1);
    const [first, second] = ['msg_first', 'msg_second'].map(uniqueName) as [string, string];
    const key = uniqueName('msg_lock');
    const lock = `SELECT pg_advisory_xact_lock(hashtext('steward.test'), hashtext('${key}'))`;
    // This test's own session holds the lock the first message's transaction then waits for.
    let held!: () => void;
    let release!: () => void;
    const holds = new Promise<void>((r) => (held = r));
    const released = new Promise<void>((r) => (release = r));
    const holding = conn.transaction(async (query) => {
      await query(lock);
      held();
      await released;
    });
    try {
      await holds;
      const firstSent = two.database('postgres').transactions([`${lock};\nCREATE ROLE ${first}`]);
      await waitFor(() => waitsForLock(observer, key), 'the first message to wait for the lock');
      // Sent to the same database while the first one waits, with a connection free: it must not
      // overtake it. Without the queue its role would exist within milliseconds; this is the one
      // place a bounded wait is the test (for something that must not happen).
      const secondSent = two.database('postgres').transactions([`CREATE ROLE ${second}`]);
      const overtook = await waitFor(async () => (await observer.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [second])).rowCount === 1, 'the second message', 1_000).then(
        () => true,
        () => false,
      );
      expect(overtook).toBe(false);
      release();
      await holding;
      await Promise.all([firstSent, secondSent]);
      // Role OIDs are handed out in creation order.
      const { rows } = await observer.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[]) ORDER BY oid', [[first, second]]);
      expect(rows.map((r) => r.rolname)).toEqual([first, second]);
    } finally {
      release();
      await holding.catch(() => undefined);
      await observer.query(`DROP ROLE IF EXISTS ${first}, ${second}`);
      await Promise.all([two.close(), observer.close()]);
    }
  });

  it('a failed message does not hold up the next one', async () => {
    const names = ['msg_after_a', 'msg_after_b'].map(uniqueName) as [string, string];
    try {
      const failing = conn.database('postgres').transactions([`CREATE ROLE ${names[0]};\nALTER ROLE ${names[0]} SET work_mem = 'not-a-size'`]);
      const next = conn.database('postgres').transactions([`CREATE ROLE ${names[1]}`]);
      await expect(failing).rejects.toThrow(/work_mem/);
      await next;
      expect(await roles(names)).toEqual([names[1]]);
    } finally {
      await conn.query(`DROP ROLE IF EXISTS ${names.join(', ')}`);
    }
  });
});

describe('catalog locks held by a message', () => {
  /** The advisory locks a session holds, as its pg_locks rows say. */
  const HELD = "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()";
  /** Fails its transaction unless the session holds exactly `n` advisory locks. */
  const holding = (n: number): string =>
    `DO $$ BEGIN IF (${HELD}) <> ${n} THEN RAISE EXCEPTION 'the message does not hold its % locks', ${n}; END IF; END $$`;

  it('are held through every transaction of the message, and released after it, whether it succeeds or fails', async () => {
    const names = ['lock_a', 'lock_b'].map(uniqueName) as [string, string];
    const [b, a] = [uniqueName('key_b'), uniqueName('key_a')];
    const keys = [b, a, b];
    try {
      // Two distinct keys (one named twice): both held in the first transaction and in the last.
      await conn.database('postgres').transactions([`${holding(2)};\nCREATE ROLE ${names[0]}`, `CREATE ROLE ${names[1]};\n${holding(2)}`], keys);
      expect(await roles(names)).toEqual([...names].sort());
      // One connection in the pool: this is the message's session, and it holds nothing now.
      expect((await conn.query<{ n: number }>(HELD)).rows[0]?.n).toBe(0);

      const failing = conn.database('postgres').transactions([`DROP ROLE ${names[0]}`, `ALTER ROLE ${names[1]} SET work_mem = 'not-a-size'`], keys);
      await expect(failing).rejects.toThrow(/work_mem/);
      expect(await roles(names)).toEqual([names[1]]);
      expect((await conn.query<{ n: number }>(HELD)).rows[0]?.n).toBe(0);
    } finally {
      await conn.query(`DROP ROLE IF EXISTS ${names.join(', ')}`);
    }
  });

  it('wait for a transaction holding one of them as a catalog write does, then go ahead', async () => {
    const other = await connectInstance(testInstance() as DesiredResource<PostgresInstanceSpec>, { maxConnections: 1, lockTimeoutMs: 20_000 }, testEnv());
    const observer = await connectInstance(testInstance() as DesiredResource<PostgresInstanceSpec>, { maxConnections: 1, lockTimeoutMs: 20_000 }, testEnv());
    const name = uniqueName('lock_wait');
    const key = uniqueName('lock_key');
    let held!: () => void;
    let release!: () => void;
    const holds = new Promise<void>((r) => (held = r));
    const released = new Promise<void>((r) => (release = r));
    // A handler's catalog write: the same key, for its transaction only.
    const writing = conn.transaction(async (query) => {
      await query(CATALOG_LOCK_SQL, [CATALOG_LOCK_NAMESPACE, key]);
      held();
      await released;
    });
    try {
      await holds;
      const sent = other.database('postgres').transactions([`CREATE ROLE ${name}`], [key]);
      await waitFor(() => waitsForLock(observer, key), 'the message to wait for the lock');
      // The test's one connection of `conn` is the writer's: the observer looks.
      const exists = async (): Promise<boolean> => (await observer.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rowCount === 1;
      expect(await exists()).toBe(false);
      release();
      await writing;
      await sent;
      expect(await exists()).toBe(true);
    } finally {
      release();
      await writing.catch(() => undefined);
      await observer.query(`DROP ROLE IF EXISTS ${name}`);
      await Promise.all([other.close(), observer.close()]);
    }
  });
});
