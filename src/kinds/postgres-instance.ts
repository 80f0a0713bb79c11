import { z } from 'zod';
import { addressOf, type KindDefinition, type Reference, type ResourceAddress } from '../core/index.js';
import { portOrEnvSchema, stringOrEnvSchema } from './common.js';
import { secretReference, sensitiveValueSchema } from './secret.js';

export const POSTGRES_INSTANCE = 'PostgresInstance';

export const postgresInstanceSpecSchema = z
  .strictObject({
    host: stringOrEnvSchema.default('localhost').describe('Host name or address of the server'),
    port: portOrEnvSchema.default(5432).describe('TCP port of the server'),
    database: stringOrEnvSchema.default('postgres').describe('Database to connect to for cluster-wide work'),
    user: stringOrEnvSchema.default('postgres').describe('Role Steward connects as'),
    password: sensitiveValueSchema
      .optional()
      .describe(
        'Password, as {secretRef: NAME} (a declared Secret, decrypted in memory when a command connects) or {env: VAR}; never a literal',
      ),
    sslmode: z
      .enum(['disable', 'prefer', 'require', 'verify-ca', 'verify-full'])
      .default('prefer')
      .describe('TLS mode, with the meaning libpq gives it'),
  })
  .describe('A PostgreSQL server that other Postgres resources are managed through');

export type PostgresInstanceSpec = z.infer<typeof postgresInstanceSpecSchema>;

/** The edge every PostgreSQL kind has to the instance it lives on (`spec.instance`, required). */
/**
 * An edge to `kind`/`name` when it is declared; otherwise it names something that already
 * exists outside Steward (a role owning a database, a database created by hand).
 */
export function optionalReference(path: Reference['path'], kind: string, name: string): Reference {
  return { path, target: addressOf(kind, name), required: false };
}

export function instanceReference(instance: string): Reference {
  return { path: ['spec', 'instance'], target: addressOf(POSTGRES_INSTANCE, instance), required: true };
}

/** The target every PostgreSQL kind is managed through. */
export function instanceTarget(spec: { readonly instance: string }): ResourceAddress {
  return addressOf(POSTGRES_INSTANCE, spec.instance);
}

export const postgresInstanceKind: KindDefinition<PostgresInstanceSpec> = {
  kind: POSTGRES_INSTANCE,
  description: postgresInstanceSpecSchema.description ?? '',
  spec: postgresInstanceSpecSchema,
  role: 'target',
  validateName: (name) => (/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(name) ? undefined : 'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit'),
  references: (spec) =>
    spec.password !== undefined && 'secretRef' in spec.password ? [secretReference(['spec', 'password'], spec.password.secretRef)] : [],
  target: () => undefined,
  desiredAttributes: () => ({}),
  fields: {},
};
