import type { ApplyLocker } from './apply-lock.js';
import { createAuditLog } from './audit-log.js';
import { createChangeRequestRepository } from './change-requests.js';
import { createIntentRepository } from './intents.js';
import { createPauseStore } from './pauses.js';
import { createLeaseRepository } from './leases.js';
import { createRunRepository } from './runs.js';
import { createIdentityRepository } from './secret-identities.js';
import { createSecretRepository } from './secret-repo.js';
import type { SqlClient } from './sql-client.js';
import { createStateRepository } from './state-repo.js';
import { recordsDigest, type PlanSnapshot } from './plan-snapshot.js';
import { RecordMirror } from './record-mirror.js';
import type { ApplyLockHandle, StateRecordSummary, Store } from './types.js';

export interface StoreParts {
  readonly client: SqlClient;
  readonly location: string;
  readonly applyLocker: ApplyLocker;
  /** Runs after the database is closed (e.g. releases the store lock). */
  readonly afterClose?: () => Promise<void>;
  /**
   * Keeps what a plan reads, taken at `close()` when this process knows every record (it read
   * them whole and saw its own writes since) and the store's digest agrees. Runs after the
   * database is closed and before `afterClose`; its failures are ignored.
   */
  readonly keepPlanSnapshot?: (snapshot: PlanSnapshot) => Promise<unknown>;
  /** Every record's summary, when known before the store opened (from the snapshot it replaces). */
  readonly known?: readonly StateRecordSummary[];
}

/** Assembles the repositories over one migrated client; the same code for both backends. */
export function createStore(parts: StoreParts): Store {
  const { client } = parts;
  const state = createStateRepository(client);
  const runs = createRunRepository(client);
  const intents = createIntentRepository(client);
  const held = new Set<ApplyLockHandle>();
  let closing: Promise<void> | undefined;
  // Only a store that keeps a snapshot follows its records (the shared store has other writers).
  const mirror = parts.keepPlanSnapshot === undefined ? undefined : new RecordMirror();
  if (parts.known !== undefined) mirror?.reset(parts.known);
  const audit = createAuditLog(client);
  const pauses = createPauseStore(client);
  const secrets = createSecretRepository(client);
  const identities = createIdentityRepository(client);
  /** Records `done`'s writes in the mirror, or forgets it when `done` fails: what was written is then unknown. */
  const writing = async <T>(done: Promise<T>, seen: (result: T) => void): Promise<T> => {
    try {
      const result = await done;
      seen(result);
      return result;
    } catch (error) {
      mirror?.forget();
      throw error;
    }
  };
  const snapshot = async (): Promise<PlanSnapshot | undefined> => {
    const records = mirror?.records();
    if (records === undefined || recordsDigest(records) !== (await state.recordsDigest())) return undefined;
    return {
      records,
      intents: await intents.unresolvedIntents(),
      identities: await identities.list(),
      secrets: await secrets.list(),
      pauses: await pauses.active(),
    };
  };
  return {
    backend: client.backend,
    location: parts.location,
    async listResources() {
      const records = await state.listResources();
      mirror?.reset(records);
      return records;
    },
    async listResourceSummaries() {
      const records = await state.listResourceSummaries();
      mirror?.reset(records);
      return records;
    },
    getResource: (address) => state.getResource(address),
    getResources: (addresses) => state.getResources(addresses),
    putResource: (record, change) => writing(state.putResource(record, change), (put) => mirror?.put([put])),
    putResources: (items) => writing(state.putResources(items), () => mirror?.put(items.map((i) => i.record))),
    removeResource: (address, change) => writing(state.removeResource(address, change), () => mirror?.remove(address)),
    history: (address, limit) => state.history(address, limit),
    startRun: (run) => runs.startRun(run),
    finishRun: (runId, status, summary) => runs.finishRun(runId, status, summary),
    recordIntent: (intent) => intents.recordIntent(intent),
    resolveIntent: (intent, outcome) => intents.resolveIntent(intent, outcome),
    recordIntents: (list) => intents.recordIntents(list),
    completeIntents: (items) =>
      writing(intents.completeIntents(items), () => mirror?.put(items.flatMap((i) => (i.put === undefined ? [] : [i.put.record])))),
    unresolvedIntents: () => intents.unresolvedIntents(),
    audit,
    pauses,
    changeRequests: createChangeRequestRepository(client),
    leases: createLeaseRepository(client),
    secrets,
    identities,
    async acquireApplyLock(options): Promise<ApplyLockHandle> {
      const lock = await parts.applyLocker.acquire(options);
      const handle: ApplyLockHandle = {
        async release(): Promise<void> {
          held.delete(handle);
          await lock.release();
        },
      };
      held.add(handle);
      return handle;
    },
    close(): Promise<void> {
      closing ??= (async () => {
        try {
          await Promise.all([...held].map((handle) => handle.release()));
          const kept = await snapshot().catch(() => undefined);
          await client.close();
          if (kept !== undefined) await parts.keepPlanSnapshot?.(kept).catch(() => undefined);
        } finally {
          await parts.afterClose?.();
        }
      })();
      return closing;
    },
  };
}
