import type pg from 'pg';
import { StewardError, type BatchCapability, type BatchChange } from '../../core/index.js';
import {
  POSTGRES_DEFAULT_PRIVILEGES,
  POSTGRES_GRANT,
  POSTGRES_ROLE,
  POSTGRES_ROLE_MEMBERSHIP,
  POSTGRES_SCHEMA,
} from '../../kinds/index.js';
import type { DatabaseConnection, InstanceConnection } from './connection.js';
import type { KindHandler } from './kind-handler.js';
import { CATALOG_LOCK_NAMESPACE, CATALOG_LOCK_SQL } from './object-lock.js';

/**
 * Kinds whose create and update are plain statements that may share a transaction with others of
 * their kind. Not databases: CREATE DATABASE cannot run inside a transaction.
 */
const BATCHABLE: ReadonlySet<string> = new Set([POSTGRES_ROLE, POSTGRES_SCHEMA, POSTGRES_GRANT, POSTGRES_ROLE_MEMBERSHIP, POSTGRES_DEFAULT_PRIVILEGES]);

/** The statements of one change bound for one database, and the catalog locks they need. */
interface Script {
  readonly locks: Set<string>;
  readonly statements: string[];
}

function notBatchable(reason: string): StewardError {
  return new StewardError('internal', `this change cannot be batched: ${reason}`);
}

/** The result a recorded statement returns: reading it means the change needs a real round trip. */
const UNREADABLE: pg.QueryResult = (() => {
  const refuse = (): never => {
    throw notBatchable('it reads what a statement returns');
  };
  return {
    get command() {
      return refuse();
    },
    get rowCount() {
      return refuse();
    },
    get oid() {
      return refuse();
    },
    get fields() {
      return refuse();
    },
    get rows() {
      return refuse();
    },
  };
})();

/**
 * A stand-in for the instance connection that records what a kind handler would send, by
 * database, instead of sending it. The handlers run unchanged, so a batch says exactly what one
 * by one would: catalog locks are collected (and later taken together, sorted), statements with
 * parameters or whose results are read are refused (the batch then falls back to one by one).
 */
function recordingConnection(conn: InstanceConnection, scripts: Map<string, Script>): InstanceConnection {
  const scriptOf = (database: string): Script => {
    let script = scripts.get(database);
    if (script === undefined) {
      script = { locks: new Set(), statements: [] };
      scripts.set(database, script);
    }
    return script;
  };
  const recorder = (database: string) => {
    const script = scriptOf(database);
    return async <R extends pg.QueryResultRow>(text: string, params?: readonly unknown[]): Promise<pg.QueryResult<R>> => {
      if (text === CATALOG_LOCK_SQL && params?.[0] === CATALOG_LOCK_NAMESPACE && typeof params[1] === 'string') {
        script.locks.add(params[1]);
      } else if (params !== undefined && params.length > 0) {
        throw notBatchable('a statement takes parameters');
      } else {
        script.statements.push(text);
      }
      // One object for every statement: it holds nothing but the refusals.
      return UNREADABLE as pg.QueryResult<R>;
    };
  };
  const databaseOf = (name: string): DatabaseConnection => {
    const query = recorder(name);
    return {
      database: name,
      query,
      transaction: (fn) => fn(query),
      transactions: () => Promise.reject(notBatchable('a handler sends transactions of its own')),
    };
  };
  const primary = databaseOf(conn.defaultDatabase);
  return {
    address: conn.address,
    serverVersion: conn.serverVersion,
    defaultDatabase: conn.defaultDatabase,
    database: (name) => (name === conn.defaultDatabase ? primary : databaseOf(name)),
    query: primary.query,
    transaction: primary.transaction,
    statementCount: 0,
    // Nothing goes to the server from here: it only records.
    sent: () => Promise.resolve(),
    close: async () => undefined,
  };
}

/** A batch's transactions bound for one database, and the catalog locks they need between them. */
interface Message {
  readonly locks: Set<string>;
  readonly transactions: string[];
}

/**
 * Batches for the PostgreSQL provider: the handlers' statements for every change, each change in
 * a transaction of its own, and all of a batch's transactions for one database sent in a single
 * message that holds the catalog locks of all of them from before the first to after the last
 * (lock_timeout applies as for any statement of the session). With changes of nearby localities
 * in a batch (see `locality`), that is a few locks for hundreds of changes.
 *
 * A transaction per change rather than one per batch: PostgreSQL slows down as one transaction
 * piles up catalog updates (the benchmark's script as one transaction takes seven times as long
 * as with a transaction per statement), and a batch's locks, held to its end, would make every
 * other batch touching one of its objects wait for all of it.
 *
 * Batches running side by side send their messages to one database one at a time (see
 * `DatabaseConnection.transactions`); what they do besides (intents, verification, state) overlaps.
 */
export function batchCapability(conn: InstanceConnection, handlerFor: (kind: string) => KindHandler): BatchCapability {
  return {
    accepts: (kind) => BATCHABLE.has(kind),
    locality: (kind, spec) => handlerFor(kind).locality?.(spec) ?? '',
    async apply(kind: string, changes: readonly BatchChange[]): Promise<void> {
      if (!BATCHABLE.has(kind)) throw notBatchable(`${kind} is not batched`);
      const handler = handlerFor(kind);
      const messages = new Map<string, Message>();
      for (const change of changes) {
        if (change.resource.kind !== kind) throw notBatchable(`${change.resource.address} is not a ${kind}`);
        const scripts = new Map<string, Script>();
        const recording = recordingConnection(conn, scripts);
        if (change.action === 'create') await handler.create(recording, change.resource);
        else await handler.update(recording, change.resource, change.changes);
        for (const [database, script] of scripts) {
          if (script.statements.length === 0) continue;
          let message = messages.get(database);
          if (message === undefined) {
            message = { locks: new Set(), transactions: [] };
            messages.set(database, message);
          }
          for (const key of script.locks) message.locks.add(key);
          message.transactions.push(script.statements.map((s) => `${s};`).join('\n'));
        }
      }
      // Sorted by database, so two batches spanning the same databases go in the same order.
      const databases = [...messages].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      for (const [database, { transactions, locks }] of databases) await conn.database(database).transactions(transactions, [...locks]);
    },
  };
}
