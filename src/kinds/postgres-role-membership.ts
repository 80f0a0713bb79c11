import { z } from 'zod';
import type { Attributes, JsonValue, KindDefinition } from '../core/index.js';
import { postgresIdentifierSchema } from './common.js';
import { resourceNameProblem } from './names.js';
import { instanceReference, instanceTarget, optionalReference } from './postgres-instance.js';
import { POSTGRES_ROLE } from './postgres-role.js';

export const POSTGRES_ROLE_MEMBERSHIP = 'PostgresRoleMembership';

export const postgresRoleMembershipSpecSchema = z
  .strictObject({
    instance: z.string().min(1).describe('Name of the PostgresInstance'),
    role: postgresIdentifierSchema.describe('The group role granted'),
    member: postgresIdentifierSchema.describe('The role that becomes a member'),
    admin: z.boolean().default(false).describe('Member may grant the role to others (WITH ADMIN OPTION)'),
    inherit: z.boolean().optional().describe("Member inherits the role's privileges (PostgreSQL 16+); unset: the server default"),
    set: z.boolean().optional().describe('Member may SET ROLE to it (PostgreSQL 16+); unset: the server default'),
  })
  .describe('Membership of one role in another (GRANT role TO member)');

export type PostgresRoleMembershipSpec = z.infer<typeof postgresRoleMembershipSpecSchema>;

export const postgresRoleMembershipKind: KindDefinition<PostgresRoleMembershipSpec> = {
  kind: POSTGRES_ROLE_MEMBERSHIP,
  description: postgresRoleMembershipSpecSchema.description ?? '',
  spec: postgresRoleMembershipSpecSchema,
  role: 'managed',
  validateName: resourceNameProblem,
  references: (spec) => [
    instanceReference(spec.instance),
    optionalReference(['spec', 'role'], POSTGRES_ROLE, spec.role),
    optionalReference(['spec', 'member'], POSTGRES_ROLE, spec.member),
  ],
  target: instanceTarget,
  desiredAttributes: (_name, spec): Attributes => {
    const attrs: Record<string, JsonValue> = { admin: spec.admin };
    if (spec.inherit !== undefined) attrs['inherit'] = spec.inherit;
    if (spec.set !== undefined) attrs['set'] = spec.set;
    return attrs;
  },
  fields: {},
};
