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
import type { ApplyLockHandle, Store } from './types.js';

export interface StoreParts {
  readonly client: SqlClient;
  readonly location: string;
  readonly applyLocker: ApplyLocker;
  /** Runs after the database is closed (e.g. releases the store lock). */
  readonly afterClose?: () => Promise<void>;
}

/** Assembles the repositories over one migrated client; the same code for both backends. */
export function createStore(parts: StoreParts): Store {
  const { client } = parts;
  const state = createStateRepository(client);
  const runs = createRunRepository(client);
  const intents = createIntentRepository(client);
  const held = new Set<ApplyLockHandle>();
  let closing: Promise<void> | undefined;
  return {
    backend: client.backend,
    location: parts.location,
    listResources: () => state.listResources(),
    listResourceSummaries: () => state.listResourceSummaries(),
    getResource: (address) => state.getResource(address),
    getResources: (addresses) => state.getResources(addresses),
    putResource: (record, change) => state.putResource(record, change),
    removeResource: (address, change) => state.removeResource(address, change),
    history: (address, limit) => state.history(address, limit),
    startRun: (run) => runs.startRun(run),
    finishRun: (runId, status, summary) => runs.finishRun(runId, status, summary),
    recordIntent: (intent) => intents.recordIntent(intent),
    resolveIntent: (intent, outcome) => intents.resolveIntent(intent, outcome),
    recordIntents: (list) => intents.recordIntents(list),
    completeIntents: (items) => intents.completeIntents(items),
    unresolvedIntents: () => intents.unresolvedIntents(),
    audit: createAuditLog(client),
    pauses: createPauseStore(client),
    changeRequests: createChangeRequestRepository(client),
    leases: createLeaseRepository(client),
    secrets: createSecretRepository(client),
    identities: createIdentityRepository(client),
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
          await client.close();
        } finally {
          await parts.afterClose?.();
        }
      })();
      return closing;
    },
  };
}
