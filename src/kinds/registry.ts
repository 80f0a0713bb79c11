import type { KindDefinition } from '../core/index.js';
import { postgresDatabaseKind } from './postgres-database.js';
import { postgresInstanceKind } from './postgres-instance.js';
import { postgresDefaultPrivilegesKind } from './postgres-default-privileges.js';
import { postgresGrantKind } from './postgres-grant.js';
import { postgresRoleKind } from './postgres-role.js';
import { postgresRoleMembershipKind } from './postgres-role-membership.js';
import { postgresSchemaKind } from './postgres-schema.js';
import { policyKind } from './policy.js';
import { policyWaiverKind } from './policy-waiver.js';
import { agentKind } from './agent.js';
import { secretKind } from './secret.js';
import { autonomyKind } from './autonomy.js';

/** Every kind Steward understands, by name. */
export const KINDS: ReadonlyMap<string, KindDefinition> = new Map<string, KindDefinition>(
  [postgresInstanceKind, postgresRoleKind, postgresDatabaseKind, postgresSchemaKind, postgresRoleMembershipKind, postgresGrantKind, postgresDefaultPrivilegesKind, policyKind, policyWaiverKind, secretKind, agentKind, autonomyKind].map((k) => [k.kind, k as KindDefinition]),
);

export function kindNames(): readonly string[] {
  return [...KINDS.keys()];
}
