import { z } from 'zod';
import type { Attributes, JsonValue, KindDefinition, Reference } from '../core/index.js';
import { postgresIdentifierSchema } from './common.js';
import { resourceNameProblem } from './names.js';
import { POSTGRES_DATABASE } from './postgres-database.js';
import { instanceReference, instanceTarget, optionalReference } from './postgres-instance.js';
import { POSTGRES_ROLE } from './postgres-role.js';

export const POSTGRES_SCHEMA = 'PostgresSchema';

export const postgresSchemaSpecSchema = z
  .strictObject({
    instance: z.string().min(1).describe('Name of the PostgresInstance'),
    database: postgresIdentifierSchema.describe('Database the schema lives in'),
    schema: postgresIdentifierSchema.optional().describe('Name of the schema in PostgreSQL; defaults to metadata.name'),
    owner: z.string().min(1).optional().describe('Role owning the schema; unset: not managed'),
    comment: z.string().nullable().default(null),
  })
  .describe('A schema inside one database');

export type PostgresSchemaSpec = z.infer<typeof postgresSchemaSpecSchema>;

/** How other kinds refer to a schema: by what it is, whatever its metadata.name. */
export function schemaKey(instance: string, database: string, schema: string): string {
  return `postgres-schema:${instance}/${database}/${schema}`;
}

/** The schema's name in PostgreSQL. */
export function schemaNameOf(name: string, spec: Pick<PostgresSchemaSpec, 'schema'>): string {
  return spec.schema ?? name;
}

export const postgresSchemaKind: KindDefinition<PostgresSchemaSpec> = {
  kind: POSTGRES_SCHEMA,
  description: postgresSchemaSpecSchema.description ?? '',
  spec: postgresSchemaSpecSchema,
  role: 'managed',
  validateName: resourceNameProblem,
  references: (spec) => {
    const refs: Reference[] = [
      instanceReference(spec.instance),
      optionalReference(['spec', 'database'], POSTGRES_DATABASE, spec.database),
    ];
    if (spec.owner !== undefined) refs.push(optionalReference(['spec', 'owner'], POSTGRES_ROLE, spec.owner));
    return refs;
  },
  target: instanceTarget,
  desiredAttributes: (_name, spec): Attributes => {
    const attrs: Record<string, JsonValue> = { comment: spec.comment };
    if (spec.owner !== undefined) attrs['owner'] = spec.owner;
    return attrs;
  },
  fields: {},
  provides: (name, spec) => [schemaKey(spec.instance, spec.database, schemaNameOf(name, spec))],
};
