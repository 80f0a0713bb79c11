import { z } from 'zod';
import type { Attributes, JsonValue, KindDefinition, Reference } from '../core/index.js';
import { connectionLimitSchema, postgresIdentifierProblem } from './common.js';
import { instanceReference, instanceTarget, optionalReference } from './postgres-instance.js';
import { POSTGRES_ROLE } from './postgres-role.js';

export const POSTGRES_DATABASE = 'PostgresDatabase';

export const postgresDatabaseSpecSchema = z
  .strictObject({
    instance: z.string().min(1).describe('Name of the PostgresInstance this database lives on'),
    owner: z
      .string()
      .min(1)
      .optional()
      .describe('Role owning the database; a PostgresRole of the manifests or an existing role. Unset: not managed'),
    encoding: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'must be an encoding name such as UTF8')
      .optional()
      .describe('Character encoding; changing it replaces the database. Unset: the server default, not managed'),
    template: z.string().min(1).optional().describe('Template to copy when creating (template0 or template1); used only at creation'),
    connectionLimit: connectionLimitSchema.default(-1),
    comment: z.string().nullable().default(null),
  })
  .describe('A PostgreSQL database');

export type PostgresDatabaseSpec = z.infer<typeof postgresDatabaseSpecSchema>;

/** `utf-8`, `utf8` and `UTF8` all name PostgreSQL's `UTF8`. */
export function normalizeEncoding(encoding: string): string {
  return encoding.toUpperCase().replace(/-/g, '');
}

export const postgresDatabaseKind: KindDefinition<PostgresDatabaseSpec> = {
  kind: POSTGRES_DATABASE,
  description: postgresDatabaseSpecSchema.description ?? '',
  spec: postgresDatabaseSpecSchema,
  role: 'managed',
  validateName: (name) => postgresIdentifierProblem(name),
  references: (spec) => {
    const refs: Reference[] = [instanceReference(spec.instance)];
    if (spec.owner !== undefined) refs.push(optionalReference(['spec', 'owner'], POSTGRES_ROLE, spec.owner));
    return refs;
  },
  target: instanceTarget,
  desiredAttributes: (_name, spec): Attributes => {
    const attrs: Record<string, JsonValue> = { connectionLimit: spec.connectionLimit, comment: spec.comment };
    if (spec.owner !== undefined) attrs['owner'] = spec.owner;
    if (spec.encoding !== undefined) attrs['encoding'] = normalizeEncoding(spec.encoding);
    return attrs;
  },
  fields: {
    encoding: { requiresReplace: true },
    template: { createOnly: true },
  },
};
