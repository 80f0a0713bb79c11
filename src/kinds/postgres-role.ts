import { z } from 'zod';
import { type Attributes, type JsonValue, type KindDefinition } from '../core/index.js';
import { connectionLimitSchema, postgresIdentifierProblem, postgresIdentifierSchema } from './common.js';
import { instanceReference, instanceTarget } from './postgres-instance.js';
import { secretReference, sensitiveValueSchema } from './secret.js';

export const POSTGRES_ROLE = 'PostgresRole';

/** Parameters whose value is a list; PostgreSQL stores them as `a, b` with each item quoted if needed. */
export const LIST_PARAMETERS: ReadonlySet<string> = new Set([
  'search_path',
  'temp_tablespaces',
  'local_preload_libraries',
  'session_preload_libraries',
]);

const parameterValueSchema = z.union([z.string(), z.number(), z.boolean(), z.array(z.string()).min(1)]);

export const postgresRoleSpecSchema = z
  .strictObject({
    instance: z.string().min(1).describe('Name of the PostgresInstance this role lives on'),
    login: z.boolean().default(false).describe('Whether the role can log in'),
    superuser: z.boolean().default(false),
    createdb: z.boolean().default(false),
    createrole: z.boolean().default(false),
    inherit: z.boolean().default(true),
    replication: z.boolean().default(false),
    bypassrls: z.boolean().default(false),
    connectionLimit: connectionLimitSchema.default(-1),
    validUntil: z.iso
      .datetime({ offset: true })
      .nullable()
      .default(null)
      .describe('Time after which the password stops working (ISO 8601); null for never'),
    config: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/, 'must be a configuration parameter name such as statement_timeout'),
        parameterValueSchema,
      )
      .default({})
      .describe('Session defaults set with ALTER ROLE ... SET, e.g. search_path or statement_timeout'),
    comment: z.string().nullable().default(null),
    password: sensitiveValueSchema
      .optional()
      .describe('Password, as {secretRef: NAME} or {env: VAR}; never a literal. Sent as a SCRAM-SHA-256 verifier, never in plaintext'),
    onDelete: z
      .union([z.enum(['fail', 'dropOwned']), z.strictObject({ reassignTo: postgresIdentifierSchema })])
      .default('fail')
      .describe(
        'When the role is removed and still owns objects: fail (default), dropOwned (drop them), or {reassignTo: ROLE}. Its privileges are revoked in every database either way',
      ),
    terminateSessions: z.boolean().default(false).describe('When the role is removed, end its open sessions first'),
  })
  .describe('A PostgreSQL role (user or group)');

export type PostgresRoleSpec = z.infer<typeof postgresRoleSpecSchema>;

/** Renders a list item the way PostgreSQL's quote_ident would, so desired and observed compare equal. */
function quoteListItem(item: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(item) ? item : `"${item.replace(/"/g, '""')}"`;
}

/** The text PostgreSQL keeps in `rolconfig` for a parameter value. */
export function storedParameterValue(name: string, value: string | number | boolean | readonly string[]): string {
  if (Array.isArray(value)) return value.map(quoteListItem).join(', ');
  if (typeof value === 'string' && LIST_PARAMETERS.has(name.toLowerCase())) {
    return value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '')
      .map((v) => (v.startsWith('"') ? v : quoteListItem(v)))
      .join(', ');
  }
  return String(value);
}

/** The list items to send in `ALTER ROLE ... SET name TO item, item`. */
export function parameterItems(name: string, value: string | number | boolean | readonly string[]): readonly string[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string' && LIST_PARAMETERS.has(name.toLowerCase())) {
    return value
      .split(',')
      .map((v) => v.trim().replace(/^"(.*)"$/, '$1'))
      .filter((v) => v !== '');
  }
  return [String(value)];
}

export function normalizeTimestamp(value: string | null): string | null {
  if (value === null) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** What depends on a role across the instance, as the role handler observes it (pg_shdepend). */
export function roleDependents(observed: Attributes): { readonly owned: number; readonly privileges: number; readonly databases: string } {
  const value = observed['dependents'];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { owned: 0, privileges: 0, databases: '' };
  const record = value as Readonly<Record<string, JsonValue>>;
  const databases = Array.isArray(record['databases']) ? (record['databases'] as readonly JsonValue[]).map(String).join(', ') : '';
  return { owned: Number(record['owned'] ?? 0), privileges: Number(record['privileges'] ?? 0), databases };
}

export const postgresRoleKind: KindDefinition<PostgresRoleSpec> = {
  kind: POSTGRES_ROLE,
  description: postgresRoleSpecSchema.description ?? '',
  spec: postgresRoleSpecSchema,
  role: 'managed',
  validateName: (name) => {
    if (name.startsWith('pg_')) return 'role names starting with "pg_" are reserved by PostgreSQL';
    return postgresIdentifierProblem(name);
  },
  references: (spec) => [
    instanceReference(spec.instance),
    ...(spec.password !== undefined && 'secretRef' in spec.password ? [secretReference(['spec', 'password'], spec.password.secretRef)] : []),
  ],
  target: instanceTarget,
  desiredAttributes: (_name, spec): Attributes => {
    const config: Record<string, JsonValue> = {};
    for (const key of Object.keys(spec.config).sort()) {
      config[key.toLowerCase()] = storedParameterValue(key, spec.config[key]!);
    }
    // In key order: a plan compares them in that order, and need not sort them for each role.
    return {
      bypassrls: spec.bypassrls,
      comment: spec.comment,
      config,
      connectionLimit: spec.connectionLimit,
      createdb: spec.createdb,
      createrole: spec.createrole,
      inherit: spec.inherit,
      login: spec.login,
      replication: spec.replication,
      superuser: spec.superuser,
      validUntil: normalizeTimestamp(spec.validUntil),
    };
  },
  fields: {},
  describeDeletion: (name, specValue, observed) => {
    const parsed = postgresRoleSpecSchema.safeParse(specValue ?? { instance: '-' });
    const spec = parsed.success ? parsed.data : undefined;
    const { owned, privileges, databases } = roleDependents(observed);
    const sessions = spec?.terminateSessions ? 'its sessions are ended, ' : '';
    const revoke = privileges > 0 ? `its privileges on ${privileges} object(s) are revoked, ` : '';
    const onDelete = spec?.onDelete ?? 'fail';
    if (owned === 0) return { ok: true, note: `${sessions}${revoke}then it is dropped` };
    if (onDelete === 'fail') {
      // Other deletions in the same plan may remove what it owns (they run first), so only the
      // apply can tell; it stops with a clear message if anything is still owned.
      return {
        ok: true,
        note: `it owns ${owned} object(s) (in ${databases || 'this instance'}): with onDelete: fail the delete stops unless they are gone by then (set onDelete to {reassignTo: ROLE} or dropOwned to handle them); ${sessions}${revoke}then it is dropped`,
      };
    }
    const what = onDelete === 'dropOwned' ? `its ${owned} owned object(s) are DROPPED` : `its ${owned} owned object(s) are reassigned to ${onDelete.reassignTo}`;
    return { ok: true, note: `${sessions}${what} (in ${databases}), ${revoke}then it is dropped` };
  },
};
