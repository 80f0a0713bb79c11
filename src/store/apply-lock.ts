import pg from 'pg';
import { StewardError, errorMessage } from '../core/errors.js';
import { currentHolder, describeHolder } from './holder.js';
import { APPLY_LOCK_KEY, STEWARD_LOCK_NAMESPACE } from './lock-keys.js';
import { isoTimestamp, sqlState } from './sql-client.js';
import type { ApplyLockHandle, HolderInfo } from './types.js';

export interface ApplyLocker {
  acquire(options: { readonly timeoutMs: number }): Promise<ApplyLockHandle>;
}

function lockTimeout(message: string): StewardError {
  return new StewardError('lock-timeout', message, { kind: 'transient' });
}

/**
 * Embedded backend: the store lock already keeps every other process out, so only applies
 * within this process can collide. They queue here with the same timeout semantics as on
 * PostgreSQL (0 = fail at once).
 */
export function createInProcessApplyLocker(location: string): ApplyLocker {
  let holder: HolderInfo | undefined;
  const waiters: (() => void)[] = [];
  const handle = (): ApplyLockHandle => {
    let released = false;
    return {
      async release(): Promise<void> {
        if (released) return;
        released = true;
        holder = undefined;
        // The next waiter takes the lock synchronously, before anyone else can.
        waiters.shift()?.();
      },
    };
  };
  return {
    async acquire({ timeoutMs }): Promise<ApplyLockHandle> {
      if (holder === undefined) {
        holder = currentHolder('apply');
        return handle();
      }
      const current = holder;
      if (timeoutMs <= 0) {
        throw lockTimeout(`the apply lock on ${location} is held by ${describeHolder(current)}; waited 0 ms`);
      }
      await new Promise<void>((resolve, reject) => {
        const wake = (): void => {
          clearTimeout(timer);
          holder = currentHolder('apply');
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(wake), 1);
          const now = holder ?? current;
          reject(lockTimeout(`the apply lock on ${location} is held by ${describeHolder(now)}; waited ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(wake);
      });
      return handle();
    },
  };
}

interface LockHolderRow {
  readonly pid: number;
  readonly application_name: string | null;
  readonly usename: string | null;
  readonly client_addr: string | null;
  readonly since: string | null;
}

/** Whoever holds the apply lock in this database, from the server's own lock table. */
async function findHolder(client: pg.Client): Promise<LockHolderRow | undefined> {
  const result = await client.query<LockHolderRow>(
    `SELECT a.pid, a.application_name, a.usename::text AS usename, host(a.client_addr) AS client_addr,
            ${isoTimestamp('coalesce(a.state_change, a.backend_start)')} AS since
       FROM pg_locks l
       JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 2
      LIMIT 1`,
    [STEWARD_LOCK_NAMESPACE, APPLY_LOCK_KEY],
  );
  return result.rows[0];
}

function describeLockHolder(row: LockHolderRow | undefined): string {
  if (row === undefined) return 'another session, which has just released it (try again)';
  const name = row.application_name === null || row.application_name === '' ? 'a client without application_name' : `'${row.application_name}'`;
  const from = row.client_addr === null ? 'a local socket' : row.client_addr;
  return `${name} (server pid ${row.pid}, database user ${row.usename ?? 'unknown'}, from ${from}, since ${row.since ?? 'unknown'})`;
}

/**
 * PostgreSQL backend: a session advisory lock on a dedicated connection. The server drops it
 * when the connection ends, so a holder that dies (even by SIGKILL) cannot leave it behind.
 * `application_name` (`steward apply pid=… user@host`) tells whoever finds it taken who has it.
 */
export function createPostgresApplyLocker(connectionString: string, location: string): ApplyLocker {
  return {
    async acquire({ timeoutMs }): Promise<ApplyLockHandle> {
      const me = currentHolder('apply');
      const client = new pg.Client({
        connectionString,
        // PostgreSQL keeps the first 63 bytes.
        application_name: `steward apply pid=${me.pid} ${me.user}@${me.host}`.slice(0, 63),
      });
      // A dropped connection means a lost lock; it surfaces on release (or the next use).
      client.on('error', () => undefined);
      try {
        await client.connect();
      } catch (error) {
        throw new StewardError('store-unavailable', `cannot connect to ${location} for the apply lock: ${errorMessage(error)}`, {
          kind: 'transient',
          cause: error,
        });
      }
      try {
        const waited = Math.max(0, Math.ceil(timeoutMs));
        let locked: boolean;
        if (waited === 0) {
          const result = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [
            STEWARD_LOCK_NAMESPACE,
            APPLY_LOCK_KEY,
          ]);
          locked = result.rows[0]?.locked === true;
        } else {
          await client.query(`SELECT set_config('lock_timeout', $1, false)`, [`${waited}ms`]);
          try {
            await client.query('SELECT pg_advisory_lock($1, $2)', [STEWARD_LOCK_NAMESPACE, APPLY_LOCK_KEY]);
            locked = true;
          } catch (error) {
            if (sqlState(error) !== '55P03') throw error;
            locked = false;
          }
          await client.query(`SELECT set_config('lock_timeout', '0', false)`);
        }
        if (!locked) {
          const holder = await findHolder(client);
          throw lockTimeout(`the apply lock on ${location} is held by ${describeLockHolder(holder)}; waited ${waited} ms`);
        }
      } catch (error) {
        await client.end().catch(() => undefined);
        if (error instanceof StewardError) throw error;
        throw new StewardError('store-unavailable', `cannot take the apply lock on ${location}: ${errorMessage(error)}`, {
          cause: error,
        });
      }
      let released: Promise<void> | undefined;
      return {
        release(): Promise<void> {
          released ??= (async () => {
            // Ending the session releases the lock in any case; unlocking first just says so
            // explicitly. A connection already lost has lost the lock too, so neither can fail.
            await client.query('SELECT pg_advisory_unlock($1, $2)', [STEWARD_LOCK_NAMESPACE, APPLY_LOCK_KEY]).catch(() => undefined);
            await client.end().catch(() => undefined);
          })();
          return released;
        },
      };
    },
  };
}
