import pg from 'pg';
import { expect, inject, it } from 'vitest';

it('reaches the shared embedded PostgreSQL server', async () => {
  const { host, port, user, password } = inject('pg');
  const client = new pg.Client({ host, port, user, password, database: 'postgres' });
  await client.connect();
  const { rows } = await client.query<{ v: string }>('select current_setting($1) as v', ['server_version_num']);
  await client.end();
  expect(Number(rows[0]!.v)).toBeGreaterThan(140000);
});
