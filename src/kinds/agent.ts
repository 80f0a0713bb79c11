import { z } from 'zod';
import { addressOf, PARENT_ANNOTATION, type ChildDocument, type KindDefinition, type ResourceMetadata } from '../core/index.js';
import { postgresIdentifierSchema } from './common.js';
import { durationSchema } from './duration.js';
import { POSTGRES_DATABASE } from './postgres-database.js';
import { instanceReference, optionalReference } from './postgres-instance.js';
import { POSTGRES_GRANT } from './postgres-grant.js';
import { POSTGRES_ROLE } from './postgres-role.js';
import { POSTGRES_ROLE_MEMBERSHIP } from './postgres-role-membership.js';
import { SECRET } from './secret.js';

export const AGENT = 'Agent';

/** The shortest rotation period accepted. */
export const MIN_ROTATION_SECONDS = 60;

const objectsSchema = z
  .strictObject({
    schema: postgresIdentifierSchema.describe('Schema holding the objects'),
    names: z.array(z.string().min(1)).min(1).optional().describe('The objects by name'),
    all: z.boolean().optional().describe('Every object of the type in the schema'),
  })
  .refine((o) => (o.names === undefined) !== (o.all !== true), 'give either `names` or `all: true`');

const agentGrantSchema = z
  .strictObject({
    privileges: z.array(z.string().min(1)).min(1).describe('e.g. [SELECT, INSERT]'),
    tables: objectsSchema.optional(),
    sequences: objectsSchema.optional(),
    functions: objectsSchema.optional(),
  })
  .refine((g) => [g.tables, g.sequences, g.functions].filter((o) => o !== undefined).length === 1, 'name exactly one of tables, sequences or functions')
  .describe('Privileges the agent holds, on tables, sequences or functions of one schema');

export const agentSpecSchema = z
  .strictObject({
    owner: z.string().min(1).describe('Who answers for the agent (a team or person, e.g. payments-team@example.com)'),
    description: z.string().min(1).describe('What the agent does'),
    postgres: z
      .strictObject({
        instance: z.string().min(1).describe('Name of the PostgresInstance'),
        database: postgresIdentifierSchema.describe('The database the agent works in'),
        grants: z.array(agentGrantSchema).default([]).describe('Everything the agent may do; nothing else is granted (authoritative)'),
        connectionLimit: z.number().int().min(1).max(1000).default(5).describe('Most concurrent connections per login role'),
      })
      .describe('Access to one PostgreSQL database'),
    credentials: z
      .strictObject({
        rotate: z
          .strictObject({
            every: durationSchema(MIN_ROTATION_SECONDS, 'rotate.every').default('24h').describe('Rotation period (at least 60s)'),
            grace: durationSchema(0, 'rotate.grace').default('1h').describe('How long the previous password keeps working after a rotation'),
          })
          .prefault({}),
        deliver: z
          .strictObject({
            envFile: z.string().min(1).optional().describe('File (relative to the project) to write PGHOST ... PGPASSWORD and DATABASE_URL to, mode 0600'),
          })
          .prefault({}),
      })
      .prefault({}),
  })
  .describe('A non-human identity: least-privilege PostgreSQL access with rotating credentials, delivered to its runtime');

export type AgentSpec = z.infer<typeof agentSpecSchema>;

/** The PostgreSQL names an agent is provisioned as. */
export interface AgentNames {
  /** NOLOGIN role holding the grants. */
  readonly group: string;
  /** The two alternating login roles, members of the group. */
  readonly logins: readonly [string, string];
  /** The Secret holding its current (and previous) password. */
  readonly secret: string;
}

export function agentNames(name: string): AgentNames {
  const group = name.replace(/-/g, '_');
  return { group, logins: [`${group}_a`, `${group}_b`], secret: `${name}.credentials` };
}

function grantChildren(name: string, spec: AgentSpec, group: string): ChildDocument[] {
  const { instance, database } = spec.postgres;
  const grant = (suffix: string, privileges: readonly string[], on: Record<string, unknown>): ChildDocument => ({
    kind: POSTGRES_GRANT,
    name: `${name}.${suffix}`,
    spec: { instance, grantee: group, privileges, on, mode: 'authoritative' },
  });
  const children: ChildDocument[] = [grant('connect', ['CONNECT'], { type: 'database', database })];
  const schemas = new Set<string>();
  spec.postgres.grants.forEach((g, i) => {
    const [type, objects] = g.tables ? (['table', g.tables] as const) : g.sequences ? (['sequence', g.sequences] as const) : (['function', g.functions!] as const);
    schemas.add(objects.schema);
    const which = objects.all === true ? { all: true } : { names: objects.names };
    children.push(grant(`grant-${i}`, g.privileges, { type, database, schema: objects.schema, ...which }));
  });
  for (const schema of [...schemas].sort()) children.push(grant(`usage-${schema}`, ['USAGE'], { type: 'schema', database, names: [schema] }));
  return children;
}

/**
 * The primitive resources of an agent: a NOLOGIN group role with the grants (authoritative), two
 * LOGIN roles without any elevated attribute that are members of it (so a rotation can move to
 * the idle one while the other keeps working), and the Secret holding the password.
 */
export function expandAgent(name: string, spec: AgentSpec, metadata: ResourceMetadata): readonly ChildDocument[] {
  const names = agentNames(name);
  const { instance } = spec.postgres;
  const annotations = { [PARENT_ANNOTATION]: addressOf(AGENT, name) };
  const labels = metadata.labels;
  const loginAnnotations = { ...annotations, 'steward.dev/owner': spec.owner, 'steward.dev/rotation': spec.credentials.rotate.every };
  const children: ChildDocument[] = [
    { kind: POSTGRES_ROLE, name: names.group, labels, annotations, spec: { instance, login: false, comment: `agent ${name}: ${spec.description}` } },
  ];
  names.logins.forEach((login, i) => {
    children.push({
      kind: POSTGRES_ROLE,
      name: login,
      labels,
      annotations: loginAnnotations,
      spec: {
        instance,
        login: true,
        superuser: false,
        createdb: false,
        createrole: false,
        replication: false,
        bypassrls: false,
        inherit: true,
        connectionLimit: spec.postgres.connectionLimit,
        comment: `agent ${name} (login ${i === 0 ? 'a' : 'b'}): ${spec.description}`,
        terminateSessions: true,
      },
    });
    children.push({
      kind: POSTGRES_ROLE_MEMBERSHIP,
      name: `${name}.login-${i === 0 ? 'a' : 'b'}`,
      labels,
      annotations,
      spec: { instance, role: names.group, member: login },
    });
  });
  children.push(...grantChildren(name, spec, names.group).map((c) => ({ ...c, labels, annotations })));
  children.push({ kind: SECRET, name: names.secret, labels, annotations, spec: { type: 'generated', length: 32, grace: spec.credentials.rotate.grace } });
  return children;
}

export const agentKind: KindDefinition<AgentSpec> = {
  kind: AGENT,
  description: agentSpecSchema.description ?? '',
  spec: agentSpecSchema,
  // Expands into managed kinds; the agent itself is carried out by Steward (credentials).
  role: 'config',
  validateName: (name) =>
    /^[a-z][a-z0-9-]{0,40}$/.test(name) ? undefined : 'must be 1-41 lower-case letters, digits or "-", starting with a letter (its roles are named after it)',
  references: (spec) => [
    { ...instanceReference(spec.postgres.instance), path: ['spec', 'postgres', 'instance'] },
    optionalReference(['spec', 'postgres', 'database'], POSTGRES_DATABASE, spec.postgres.database),
  ],
  target: () => undefined,
  desiredAttributes: () => ({}),
  fields: {},
  expand: expandAgent,
};
