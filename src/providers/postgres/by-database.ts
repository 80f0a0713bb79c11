import type { ObserveRequest } from '../../core/index.js';
import { sqlState } from './errors.js';

/** Requests of a per-database kind, grouped by the database their spec names. */
export function groupByDatabase<Spec extends { readonly database: string }>(
  requests: readonly ObserveRequest[],
): ReadonlyMap<string, readonly { readonly name: string; readonly spec: Spec }[]> {
  const groups = new Map<string, { name: string; spec: Spec }[]>();
  for (const request of requests) {
    // Without a spec (a record older than the spec column) there is nothing to look for.
    if (request.spec === null || typeof request.spec !== 'object') continue;
    const spec = request.spec as Spec;
    groups.set(spec.database, [...(groups.get(spec.database) ?? []), { name: request.name, spec }]);
  }
  return groups;
}

/** A database that does not exist holds nothing: observing in it finds everything absent. */
export function isMissingDatabase(error: unknown): boolean {
  return sqlState(error) === '3D000';
}
