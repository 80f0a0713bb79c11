import { z } from 'zod';
import { addressOf, type Attributes, type JsonValue, type KindDefinition, type Reference } from '../core/index.js';
import { postgresIdentifierSchema } from './common.js';
import { resourceNameProblem } from './names.js';
import { POSTGRES_DATABASE } from './postgres-database.js';
import { grantModeSchema, isPublic } from './postgres-grant.js';
import { instanceReference, instanceTarget, optionalReference } from './postgres-instance.js';
import { POSTGRES_ROLE } from './postgres-role.js';
import { POSTGRES_SCHEMA, schemaKey } from './postgres-schema.js';
import { PRIVILEGES, normalizePrivilege, normalizePrivileges, privilegeToken } from './privileges.js';

export const POSTGRES_DEFAULT_PRIVILEGES = 'PostgresDefaultPrivileges';

export const DEFAULT_OBJECT_TYPES = { tables: 'table', sequences: 'sequence', functions: 'function', types: 'type', schemas: 'schema' } as const;
export type DefaultObjectType = keyof typeof DEFAULT_OBJECT_TYPES;

export const postgresDefaultPrivilegesSpecSchema = z
  .strictObject({
    instance: z.string().min(1).describe('Name of the PostgresInstance'),
    database: postgresIdentifierSchema.describe('Database the defaults apply in'),
    owner: postgresIdentifierSchema.describe('Role whose future objects get these privileges (FOR ROLE)'),
    schema: postgresIdentifierSchema.optional().describe('Only objects created in this schema; unset: the whole database'),
    objectType: z.enum(['tables', 'sequences', 'functions', 'types', 'schemas']),
    grantee: z.string().min(1).describe('Role receiving the privileges, or PUBLIC'),
    privileges: z.array(z.string().min(1)).min(1),
    withGrantOption: z.boolean().default(false),
    mode: grantModeSchema,
  })
  .superRefine((spec, ctx) => {
    if (spec.objectType === 'schemas' && spec.schema !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['schema'], message: 'default privileges on schemas cannot be limited to a schema' });
    }
    const allowed = PRIVILEGES[DEFAULT_OBJECT_TYPES[spec.objectType]];
    spec.privileges.forEach((p, i) => {
      const normal = normalizePrivilege(p);
      if (normal !== 'ALL' && !allowed.includes(normal)) {
        ctx.addIssue({ code: 'custom', path: ['privileges', i], message: `${p} is not a privilege on ${spec.objectType}; use one of ${allowed.join(', ')} or ALL` });
      }
    });
  })
  .describe('Privileges that objects created later by a role receive (ALTER DEFAULT PRIVILEGES)');

export type PostgresDefaultPrivilegesSpec = z.infer<typeof postgresDefaultPrivilegesSpecSchema>;

export function defaultPrivilegeTokens(spec: PostgresDefaultPrivilegesSpec): readonly string[] {
  return normalizePrivileges(spec.privileges).map((p) => privilegeToken(p, spec.withGrantOption));
}

export const postgresDefaultPrivilegesKind: KindDefinition<PostgresDefaultPrivilegesSpec> = {
  kind: POSTGRES_DEFAULT_PRIVILEGES,
  description: postgresDefaultPrivilegesSpecSchema.description ?? '',
  spec: postgresDefaultPrivilegesSpecSchema,
  role: 'managed',
  validateName: resourceNameProblem,
  references: (spec) => {
    const refs: Reference[] = [
      instanceReference(spec.instance),
      optionalReference(['spec', 'database'], POSTGRES_DATABASE, spec.database),
      optionalReference(['spec', 'owner'], POSTGRES_ROLE, spec.owner),
    ];
    if (!isPublic(spec.grantee)) refs.push(optionalReference(['spec', 'grantee'], POSTGRES_ROLE, spec.grantee));
    if (spec.schema !== undefined) {
      refs.push({ path: ['spec', 'schema'], target: addressOf(POSTGRES_SCHEMA, spec.schema), key: schemaKey(spec.instance, spec.database, spec.schema), required: false });
    }
    return refs;
  },
  target: instanceTarget,
  desiredAttributes: (_name, spec): Attributes => ({ privileges: [...defaultPrivilegeTokens(spec)] as JsonValue[] }),
  fields: {},
};
