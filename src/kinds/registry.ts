import type { KindDefinition } from '../core/index.js';
import { postgresDatabaseKind } from './postgres-database.js';
import { postgresInstanceKind } from './postgres-instance.js';
import { postgresRoleKind } from './postgres-role.js';

/** Every kind Steward understands, by name. */
export const KINDS: ReadonlyMap<string, KindDefinition> = new Map<string, KindDefinition>(
  [postgresInstanceKind, postgresRoleKind, postgresDatabaseKind].map((k) => [k.kind, k as KindDefinition]),
);

export function kindNames(): readonly string[] {
  return [...KINDS.keys()];
}
