import { errorMessage, type DesiredResource, type PlannedChange } from '../core/index.js';
import { mostSpecificScope, parseScope, type Scope, type ScopedResource } from '../core/scope.js';
import type { PauseRecord, Store } from '../store/index.js';

/** Asked right before each mutation; a reason holds the change back (see `ApplyContext.guard`). */
export type ChangeGuard = (change: PlannedChange) => Promise<string | undefined>;

/** How old the kill switch's view of the pauses may be when a mutation is about to start. */
export const PAUSE_MAX_AGE_MS = 250;

/** A pause that holds back planned changes, and which. */
export interface PausedNote {
  readonly pause: PauseRecord;
  readonly addresses: readonly string[];
}

const PROJECT: Scope = { type: 'project' };

/** A pause whose stored scope no longer parses is taken as pausing everything: the switch fails closed. */
function scoped(pause: PauseRecord): { readonly scope: Scope; readonly pause: PauseRecord } {
  const parsed = parseScope(pause.scope);
  return { scope: parsed.ok ? parsed.scope : PROJECT, pause };
}

/** The resource a change is matched against: labels come from its declaration (a delete has none left). */
function scopedResource(change: PlannedChange, labels: ReadonlyMap<string, Readonly<Record<string, string>>>): ScopedResource {
  return {
    address: change.address,
    kind: change.kind,
    labels: change.desired?.metadata.labels ?? labels.get(change.address) ?? {},
  };
}

function labelsOf(resources: readonly DesiredResource[]): ReadonlyMap<string, Readonly<Record<string, string>>> {
  return new Map(resources.map((r) => [r.address as string, r.metadata.labels]));
}

/** The most specific active pause covering `resource`, if any. */
export function pauseCovering(pauses: readonly PauseRecord[], resource: ScopedResource): PauseRecord | undefined {
  return mostSpecificScope(pauses.map(scoped), resource)?.pause;
}

/** How a held-back change is explained: `paused (scope kind:PostgresGrant) by alice@host: maintenance`. */
export function pauseReason(pause: PauseRecord): string {
  return `paused (scope ${pause.scope}) by ${pause.actor}: ${pause.reason}`;
}

/** For plans: each active pause with the changes (not no-ops) it would hold back. */
export function pausedChanges(
  pauses: readonly PauseRecord[],
  resources: readonly DesiredResource[],
  changes: readonly PlannedChange[],
): readonly PausedNote[] {
  if (pauses.length === 0) return [];
  const labels = labelsOf(resources);
  const held = new Map<string, string[]>(pauses.map((p) => [p.id, []]));
  for (const change of changes) {
    if (change.action === 'no-op') continue;
    const pause = pauseCovering(pauses, scopedResource(change, labels));
    if (pause) held.get(pause.id)?.push(change.address);
  }
  return pauses.map((pause) => ({ pause, addresses: held.get(pause.id) ?? [] }));
}

/**
 * The kill switch as an apply guard: holds back any change a pause covers. The pauses are read
 * from the store at most every `maxAgeMs` (default 250 ms) and shared by concurrent checks, so a
 * pause committed by another process stops the next mutation well within a second. If they
 * cannot be read the change is held back: no knowing, no acting.
 */
export function pauseGuard(
  store: Store,
  resources: readonly DesiredResource[],
  options: { readonly maxAgeMs?: number } = {},
): ChangeGuard {
  const maxAgeMs = options.maxAgeMs ?? PAUSE_MAX_AGE_MS;
  const labels = labelsOf(resources);
  let cached: { readonly at: number; readonly pauses: readonly PauseRecord[] } | undefined;
  let reading: Promise<readonly PauseRecord[]> | undefined;

  const current = (): Promise<readonly PauseRecord[]> => {
    if (cached && performance.now() - cached.at < maxAgeMs) return Promise.resolve(cached.pauses);
    reading ??= (async () => {
      // Stamped before the read: the view is as old as the moment the query was sent.
      const at = performance.now();
      try {
        const pauses = await store.pauses.active();
        cached = { at, pauses };
        return pauses;
      } finally {
        reading = undefined;
      }
    })();
    return reading;
  };

  return async (change) => {
    let pauses: readonly PauseRecord[];
    try {
      pauses = await current();
    } catch (error) {
      return `the kill switch could not be read, so nothing is changed: ${errorMessage(error)}`;
    }
    const pause = pauseCovering(pauses, scopedResource(change, labels));
    return pause ? pauseReason(pause) : undefined;
  };
}

/** One guard asking each given guard in turn; the first reason wins. */
export function composeGuards(...guards: readonly (ChangeGuard | undefined)[]): ChangeGuard {
  const present = guards.filter((g): g is ChangeGuard => g !== undefined);
  return async (change) => {
    for (const guard of present) {
      const reason = await guard(change);
      if (reason !== undefined) return reason;
    }
    return undefined;
  };
}
