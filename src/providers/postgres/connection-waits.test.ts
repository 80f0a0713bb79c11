import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { DesiredResource } from '../../core/index.js';
import type { PostgresInstanceSpec } from '../../kinds/index.js';
import { testEnv, testInstance } from '../../../test/fixtures.js';
import { ConnectionWaits } from './connection-waits.js';
import { connectionConfig } from './connection.js';

const config = (): pg.PoolConfig => connectionConfig(testInstance() as DesiredResource<PostgresInstanceSpec>, testEnv());

describe('knowing when no statement waits for a connection', () => {
  it('says so at once when nothing was asked, and only once a new connection has opened when something was', async () => {
    const pool = new pg.Pool({ ...config(), max: 2 });
    const waits = new ConnectionWaits();
    let opened = 0;
    pool.on('connect', () => (opened += 1));
    try {
      await waits.sent();
      expect(opened).toBe(0);

      const clients = [waits.connect(pool), waits.connect(pool)];
      // Both connections open (the server answers each in several round trips) before it says so.
      await waits.sent();
      expect(opened).toBe(2);
      for (const client of await Promise.all(clients)) client.release();

      // With the connections open and idle, a new statement waits for nothing.
      const again = waits.connect(pool);
      await waits.sent();
      expect(opened).toBe(2);
      (await again).release();
    } finally {
      await pool.end();
    }
  });

  it('says so as well when the connection cannot open: its statement fails, and nothing waits any more', async () => {
    // Port 1 on this machine: nothing listens there, the connection is refused at once.
    const pool = new pg.Pool({ ...config(), port: 1, max: 1 });
    pool.on('error', () => undefined);
    const waits = new ConnectionWaits();
    try {
      const outcome = waits.connect(pool).then(
        () => 'opened',
        (error: unknown) => String(error),
      );
      await waits.sent();
      expect(await outcome).toMatch(/ECONNREFUSED/);
    } finally {
      await pool.end();
    }
  });
});
