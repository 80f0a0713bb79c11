import pg from 'pg';
import { errorMessage, type DesiredResource, type WatchChannel, type WatchEvent, type WatchHandle, type WatchOptions } from '../../core/index.js';
import type { PostgresInstanceSpec } from '../../kinds/index.js';
import { connectionConfig, type InstanceSecrets } from './connection.js';
import { CAN_INSTALL, CLUSTER_FINGERPRINT, DATABASE_FINGERPRINT, INSTALL_EVENT_TRIGGERS, WATCH_CHANNEL } from './watch-sql.js';

/** Longest wait between reconnection attempts. */
const MAX_RETRY_MS = 5_000;
/** A watch connection that cannot be opened in this time is retried later. */
const CONNECT_TIMEOUT_MS = 5_000;

/** The databases the resources live in, plus the instance's own. */
function databasesOf(resources: readonly DesiredResource[], own: string): readonly string[] {
  const names = new Set<string>([own]);
  for (const r of resources) {
    const spec = r.spec as { readonly database?: unknown };
    if (typeof spec.database === 'string') names.add(spec.database);
  }
  return [...names].sort();
}

/** Exponential backoff with full jitter: a random wait up to min(cap, base * 2^attempt). */
function retryDelay(attempt: number): number {
  return Math.random() * Math.min(MAX_RETRY_MS, 200 * 2 ** Math.min(attempt, 8));
}

interface Counter {
  count: number;
}

/**
 * One watched part of the instance on its own connection: either LISTEN for the event triggers'
 * notifications, or (where they cannot be installed) a fingerprint polled every interval.
 */
class Channel {
  #client: pg.Client | undefined;
  #timer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #closed = false;
  #fingerprint: string | undefined;
  #connected = false;
  status: WatchChannel;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly scope: string,
    /** Cluster-wide fingerprint (roles) or a database with event triggers when allowed. */
    private readonly kind: 'cluster' | 'database',
    private readonly options: WatchOptions,
    private readonly queries: Counter,
    private readonly changed: (problem?: string) => void,
  ) {
    this.status = { scope, mode: 'polling', reason: kind === 'cluster' ? 'roles and memberships fire no event trigger' : 'connecting' };
  }

  /** Resolves once the first connection attempt is over (LISTEN in place, or a retry scheduled). */
  start(): Promise<void> {
    return this.#connect();
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client({ ...this.config, application_name: 'steward-watch', connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    client.on('error', () => this.#lost(client));
    client.on('end', () => this.#lost(client));
    try {
      await client.connect();
      if (this.kind === 'database') await this.#setUpEvents(client);
      if (this.#closed) {
        await client.end().catch(() => undefined);
        return;
      }
      this.#client = client;
      const wasConnected = this.#attempt > 0;
      this.#attempt = 0;
      this.#connected = true;
      // The first fingerprint is the baseline, taken before the caller's first full observe.
      if (this.status.mode === 'polling') await this.#poll();
      if (this.kind === 'cluster') this.changed();
      // Notifications sent while the connection was down are lost: look again.
      if (wasConnected) this.#emit({ source: 'reconnect', detail: 'watch connection re-established', scope: this.scope });
    } catch (error) {
      await client.end().catch(() => undefined);
      this.#retry(errorMessage(error));
    }
  }

  async #setUpEvents(client: pg.Client): Promise<void> {
    this.queries.count += 1;
    const { rows } = await client.query<{ can: boolean }>(CAN_INSTALL);
    if (rows[0]?.can !== true) {
      this.status = { scope: this.scope, mode: 'polling', reason: 'the connection is not a superuser, so no event trigger can be installed' };
      this.changed();
      return;
    }
    try {
      this.queries.count += 1;
      await client.query(INSTALL_EVENT_TRIGGERS);
      this.queries.count += 1;
      await client.query(`LISTEN ${WATCH_CHANNEL}`);
      client.on('notification', (msg) => {
        if (msg.channel === WATCH_CHANNEL) this.#emit({ source: 'event', detail: msg.payload ?? '', scope: this.scope });
      });
      this.status = { scope: this.scope, mode: 'events' };
      this.changed();
    } catch (error) {
      this.status = { scope: this.scope, mode: 'polling', reason: `event triggers could not be installed: ${errorMessage(error)}` };
      this.changed();
    }
  }

  #schedulePoll(delayMs: number): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#poll(), delayMs);
  }

  async #poll(): Promise<void> {
    const client = this.#client;
    if (this.#closed || !client) return;
    try {
      this.queries.count += 1;
      const { rows } = await client.query<{ fp: string }>(this.kind === 'cluster' ? CLUSTER_FINGERPRINT : DATABASE_FINGERPRINT);
      const fp = rows[0]?.fp ?? '';
      if (this.#fingerprint !== undefined && fp !== this.#fingerprint) {
        this.#emit({ source: this.kind === 'cluster' ? 'fingerprint' : 'poll', detail: 'catalog fingerprint changed', scope: this.scope });
      }
      this.#fingerprint = fp;
      this.#schedulePoll(this.options.intervalMs);
    } catch {
      // The connection is gone; `#lost` reconnects.
    }
  }

  #emit(event: WatchEvent): void {
    if (!this.#closed) this.options.onChange(event);
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    this.#connected = false;
    clearTimeout(this.#timer);
    client.end().catch(() => undefined);
    this.#retry('the watch connection was lost');
  }

  #retry(problem: string): void {
    if (this.#closed) return;
    this.#attempt += 1;
    this.changed(`${this.scope}: ${problem}; retrying`);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#connect(), retryDelay(this.#attempt));
  }

  get connected(): boolean {
    return this.#connected;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }
}

/**
 * Watches one PostgreSQL instance: an event trigger plus LISTEN in every database the resources
 * live in (falling back to a polled fingerprint where the connection is no superuser), and a
 * polled fingerprint of roles, memberships and databases, which fire no event trigger.
 */
export async function watchInstance(target: DesiredResource, options: WatchOptions, env: NodeJS.ProcessEnv, secrets?: InstanceSecrets): Promise<WatchHandle> {
  const config = connectionConfig(target as DesiredResource<PostgresInstanceSpec>, env, secrets);
  const queries: Counter = { count: 0 };
  const own = String(config.database);
  const channels: Channel[] = [];
  const report = (problem?: string): void => options.onStatus(channels.map((c) => c.status), problem);
  channels.push(new Channel({ ...config, database: own }, 'roles, memberships and databases', 'cluster', options, queries, report));
  for (const database of databasesOf(options.resources, own)) {
    channels.push(new Channel({ ...config, database }, `database ${database}`, 'database', options, queries, report));
  }
  // Nothing is missed after this returns: every LISTEN is in place (or its fallback scheduled).
  await Promise.all(channels.map((channel) => channel.start()));
  return {
    channels: () => channels.map((c) => c.status),
    queryCount: () => queries.count,
    close: async () => {
      await Promise.all(channels.map((c) => c.close()));
    },
  };
}
