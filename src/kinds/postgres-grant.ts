import { z } from 'zod';
import { addressOf, type Attributes, type JsonValue, type KindDefinition, type Reference } from '../core/index.js';
import { postgresIdentifierSchema } from './common.js';
import { resourceNameProblem } from './names.js';
import { POSTGRES_DATABASE } from './postgres-database.js';
import { instanceReference, instanceTarget, optionalReference } from './postgres-instance.js';
import { POSTGRES_ROLE } from './postgres-role.js';
import { POSTGRES_SCHEMA, schemaKey } from './postgres-schema.js';
import { GRANT_OBJECT_TYPES, PRIVILEGES, normalizePrivilege, normalizePrivileges, privilegeToken } from './privileges.js';

export const POSTGRES_GRANT = 'PostgresGrant';

const objectSchema = z
  .strictObject({
    type: z.enum(GRANT_OBJECT_TYPES).describe('What the privileges are on'),
    database: postgresIdentifierSchema.describe('The database (for type database: the database itself)'),
    schema: postgresIdentifierSchema.optional().describe('Schema of the tables, sequences, functions or types'),
    names: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('Objects by name: schemas for type schema; tables, sequences, types; functions with their argument types, e.g. calc(integer, text)'),
    all: z.boolean().optional().describe('Every object of the type in the schema, including ones created later'),
  })
  .describe('The object(s) the privileges are granted on');

export const grantModeSchema = z
  .enum(['authoritative', 'additive'])
  .default('authoritative')
  .describe('authoritative: any other privilege of the grantee on these objects is drift and is revoked; additive: only ensure the declared ones');

export const postgresGrantSpecSchema = z
  .strictObject({
    instance: z.string().min(1).describe('Name of the PostgresInstance'),
    grantee: z.string().min(1).describe('Role receiving the privileges, or PUBLIC'),
    privileges: z.array(z.string().min(1)).min(1).describe('e.g. [SELECT, INSERT], or [ALL]'),
    on: objectSchema,
    columns: z.array(postgresIdentifierSchema).min(1).optional().describe('Column-level privileges (tables named in `names` only)'),
    withGrantOption: z.boolean().default(false),
    mode: grantModeSchema,
  })
  .superRefine((spec, ctx) => {
    const on = spec.on;
    const issue = (path: (string | number)[], message: string): void => {
      ctx.addIssue({ code: 'custom', path, message });
    };
    if (on.type === 'database') {
      if (on.schema !== undefined || on.names !== undefined || on.all !== undefined) issue(['on'], 'a database grant takes only `database`');
    } else if (on.type === 'schema') {
      if (on.names === undefined) issue(['on', 'names'], 'name the schemas in `names`');
      if (on.schema !== undefined || on.all !== undefined) issue(['on'], 'a schema grant takes `database` and `names` only');
    } else {
      if (on.schema === undefined) issue(['on', 'schema'], `a ${on.type} grant needs \`schema\``);
      // PostgreSQL has GRANT ... ON ALL TABLES | SEQUENCES | FUNCTIONS IN SCHEMA, nothing for types.
      if (on.type === 'type' && on.all === true) issue(['on', 'all'], 'PostgreSQL cannot grant on all types in a schema; name them in `names`');
      if ((on.names === undefined) === (on.all !== true)) issue(['on'], 'give either `names` or `all: true`');
    }
    if (spec.columns !== undefined && (on.type !== 'table' || on.names === undefined)) {
      issue(['columns'], 'column privileges apply to tables named in `on.names` only');
    }
    const allowed = spec.columns !== undefined ? PRIVILEGES.column : PRIVILEGES[on.type];
    spec.privileges.forEach((p, i) => {
      const normal = normalizePrivilege(p);
      if (normal !== 'ALL' && !allowed.includes(normal)) {
        issue(['privileges', i], `${p} is not a privilege on ${spec.columns !== undefined ? 'columns' : `a ${on.type}`}; use one of ${allowed.join(', ')} or ALL`);
      }
    });
  })
  .describe('Privileges of one grantee on a set of objects');

export type PostgresGrantSpec = z.infer<typeof postgresGrantSpecSchema>;

export function isPublic(grantee: string): boolean {
  // The length first: this runs for every grant of a refresh, and most grantees are not PUBLIC.
  return grantee.length === 6 && grantee.toUpperCase() === 'PUBLIC';
}

/** The object keys a fixed-object grant covers, as shown in plans: `db`, `schema`, `schema.table`, `schema.table.column`. */
export function grantObjectKeys(spec: PostgresGrantSpec): readonly string[] {
  const on = spec.on;
  if (on.type === 'database') return [on.database];
  if (on.type === 'schema') return [...(on.names ?? [])];
  const objects = (on.names ?? []).map((n) => `${on.schema}.${n}`);
  if (spec.columns === undefined) return objects;
  return objects.flatMap((o) => spec.columns!.map((c) => `${o}.${c}`));
}

/** The tokens the grant declares, e.g. ['INSERT', 'SELECT'] or ['ALL WITH GRANT OPTION']. */
export function declaredTokens(spec: PostgresGrantSpec): readonly string[] {
  return normalizePrivileges(spec.privileges).map((p) => privilegeToken(p, spec.withGrantOption));
}

function buildDeclaredAttributes(spec: PostgresGrantSpec): Attributes {
  const tokens = declaredTokens(spec) as JsonValue[];
  if (spec.on.all === true) {
    // Compared at the privilege level per object, so tables created later show up as missing
    // privileges rather than as a perpetually changing list.
    // In key order, as a plan compares them.
    return spec.mode === 'authoritative' ? { extra: {}, missing: {}, privileges: tokens } : { missing: {}, privileges: tokens };
  }
  const privileges: Record<string, JsonValue> = {};
  for (const key of grantObjectKeys(spec)) privileges[key] = tokens;
  return { privileges };
}

const declaredAttributes = new WeakMap<PostgresGrantSpec, Attributes>();

/**
 * The attributes a grant declares, worked out once per spec and shared: nobody writes to them.
 * An observation of a grant that stands exactly as declared returns this same object, and a plan
 * then compares it with itself instead of field by field (a refresh observes every grant).
 */
export function grantDeclaredAttributes(spec: PostgresGrantSpec): Attributes {
  let found = declaredAttributes.get(spec);
  if (found === undefined) declaredAttributes.set(spec, (found = buildDeclaredAttributes(spec)));
  return found;
}

export const postgresGrantKind: KindDefinition<PostgresGrantSpec> = {
  kind: POSTGRES_GRANT,
  description: postgresGrantSpecSchema.description ?? '',
  spec: postgresGrantSpecSchema,
  role: 'managed',
  validateName: resourceNameProblem,
  references: (spec) => {
    const refs: Reference[] = [
      instanceReference(spec.instance),
      optionalReference(['spec', 'on', 'database'], POSTGRES_DATABASE, spec.on.database),
    ];
    if (!isPublic(spec.grantee)) refs.push(optionalReference(['spec', 'grantee'], POSTGRES_ROLE, spec.grantee));
    const schemas = spec.on.type === 'schema' ? (spec.on.names ?? []) : spec.on.schema !== undefined ? [spec.on.schema] : [];
    for (const schema of schemas) {
      refs.push({ path: ['spec', 'on'], target: addressOf(POSTGRES_SCHEMA, schema), key: schemaKey(spec.instance, spec.on.database, schema), required: false });
    }
    return refs;
  },
  target: instanceTarget,
  desiredAttributes: (_name, spec) => grantDeclaredAttributes(spec),
  fields: {},
};
