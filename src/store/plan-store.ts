import type { PlanSnapshot } from './plan-snapshot.js';
import type { PlanStore, Store } from './types.js';

/** A plan's reads of an open store. */
export function planStoreOf(store: Store): PlanStore {
  return {
    fromSnapshot: false,
    listResourceSummaries: () => store.listResourceSummaries(),
    getResources: (addresses) => store.getResources(addresses),
    unresolvedIntents: () => store.unresolvedIntents(),
    identities: store.identities,
    secrets: store.secrets,
    pauses: store.pauses,
    whole: () => Promise.resolve(store),
    close: () => store.close(),
  };
}

/**
 * A plan's reads answered from `snapshot`. Whatever it does not hold (whole records, secrets'
 * versions and hashes) is read from the store, which `open` opens on first use; `release` ends
 * the use of the snapshot when the store was never opened (it lets the store's lock go).
 */
export function snapshotPlanStore(snapshot: PlanSnapshot, open: () => Promise<Store>, release: () => Promise<void>): PlanStore {
  let opening: Promise<Store> | undefined;
  const whole = (): Promise<Store> => (opening ??= open());
  let closing: Promise<void> | undefined;
  return {
    fromSnapshot: true,
    listResourceSummaries: () => Promise.resolve(snapshot.records),
    getResources: async (addresses) => (addresses.length === 0 ? [] : (await whole()).getResources(addresses)),
    unresolvedIntents: () => Promise.resolve(snapshot.intents),
    identities: { list: () => Promise.resolve(snapshot.identities) },
    secrets: {
      list: () => Promise.resolve(snapshot.secrets),
      appliedHash: async (address, field) => (await whole()).secrets.appliedHash(address, field),
      versions: async (name) => (await whole()).secrets.versions(name),
    },
    pauses: { active: () => Promise.resolve(snapshot.pauses) },
    whole,
    close: () =>
      (closing ??= (async () => {
        if (opening === undefined) return release();
        const store = await opening.catch(() => undefined);
        // A store that failed to open has let the lock go already.
        if (store !== undefined) await store.close();
      })()),
  };
}
