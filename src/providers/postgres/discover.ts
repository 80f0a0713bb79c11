import { StewardError } from '../../core/index.js';
import type { DatabaseConnection, InstanceConnection } from './connection.js';
import { roleFields } from './role-catalog.js';
import {
  changedAcls,
  defaultObjectType,
  defaultPrivilegesOf,
  groupGrants,
  type ChangedAcl,
  type ObjectPrivileges,
} from './discover-privileges.js';
import {
  DATABASE_ACLS,
  DATABASES,
  DEFAULT_ACLS,
  OBJECT_ACLS,
  ROLES,
  SCHEMAS,
  membershipsQuery,
  type AclRow,
  type DatabaseRow,
  type DefaultAclRow,
  type MembershipRow,
  type RoleRow,
  type SchemaRow,
} from './discover-queries.js';
import type {
  DiscoveredDefaultPrivileges,
  DiscoveredGrant,
  DiscoveredMembership,
  DiscoveredRole,
  DiscoveredSchema,
  Discovery,
  SkippedItem,
} from './discover-types.js';

export type * from './discover-types.js';

export interface DiscoverOptions {
  /**
   * Databases whose schemas, grants and default privileges are read. Unset: every database that
   * accepts connections except the templates and `postgres` (the maintenance database, usually
   * holding nothing of the user's). Roles and memberships are cluster-wide and always read.
   */
  readonly databases?: readonly string[];
}

const isPredefinedRole = (name: string): boolean => name.startsWith('pg_');

function roleOf(row: RoleRow): DiscoveredRole {
  return { name: row.rolname, ...roleFields(row) };
}

interface RolesAndMemberships {
  readonly connectedAs: string;
  readonly roles: readonly DiscoveredRole[];
  readonly memberships: readonly DiscoveredMembership[];
  readonly skipped: readonly SkippedItem[];
}

function rolesAndMemberships(roleRows: readonly RoleRow[], membershipRows: readonly MembershipRow[]): RolesAndMemberships {
  const connectedAs = roleRows.find((r) => r.is_self)?.rolname ?? '';
  const skipped: SkippedItem[] = [];
  const predefined = roleRows.filter((r) => isPredefinedRole(r.rolname)).length;
  if (predefined > 0) skipped.push({ what: 'role', name: 'pg_*', reason: `${predefined} predefined roles of PostgreSQL` });
  if (connectedAs !== '') {
    skipped.push({ what: 'role', name: connectedAs, reason: 'the role Steward connects as; declare it yourself if Steward should manage it' });
  }
  const imported = (name: string): boolean => !isPredefinedRole(name) && name !== connectedAs;
  for (const row of roleRows) {
    if (imported(row.rolname) && row.database_settings) {
      skipped.push({ what: 'role settings', name: row.rolname, reason: 'settings for one database (ALTER ROLE ... IN DATABASE ... SET) have no field in PostgresRole' });
    }
  }
  const memberships: DiscoveredMembership[] = [];
  for (const row of membershipRows) {
    if (imported(row.member)) {
      memberships.push({ role: row.role, member: row.member, admin: row.admin, inherit: row.inherit, set: row.set, memberInherits: row.member_inherits });
    } else if (row.member === connectedAs) {
      // A CREATEROLE user is made an admin member of every role it creates (16+): bookkeeping, not intent.
      skipped.push({ what: 'membership', name: `${row.member} in ${row.role}`, reason: 'a membership of the role Steward connects as' });
    }
  }
  return { connectedAs, roles: roleRows.filter((r) => imported(r.rolname)).map(roleOf), memberships, skipped };
}

interface ChosenDatabases {
  readonly names: readonly string[];
  readonly skipped: readonly SkippedItem[];
}

/** Why a database is left out when none were asked for; undefined: it is imported. */
function reasonToSkip(row: DatabaseRow): string | undefined {
  if (row.datistemplate) return 'a template database';
  if (!row.datallowconn) return 'it does not accept connections';
  if (row.datname === 'postgres') return 'the maintenance database; pass --database postgres to import it';
  return undefined;
}

function chooseDatabases(rows: readonly DatabaseRow[], asked: readonly string[] | undefined): ChosenDatabases {
  const skipped: SkippedItem[] = [];
  const names: string[] = [];
  if (asked !== undefined) {
    const known = new Set(rows.map((r) => r.datname));
    const unknown = asked.filter((d) => !known.has(d));
    if (unknown.length > 0) {
      throw new StewardError('not-found', `database ${unknown.join(', ')} does not exist on this server (it has: ${[...known].sort().join(', ')})`);
    }
    names.push(...rows.map((r) => r.datname).filter((d) => asked.includes(d)));
  } else {
    for (const row of rows) {
      const reason = reasonToSkip(row);
      if (reason === undefined) names.push(row.datname);
      else skipped.push({ what: 'database', name: row.datname, reason });
    }
  }
  for (const row of rows) {
    if (names.includes(row.datname) && row.settings) {
      skipped.push({ what: 'database settings', name: row.datname, reason: 'ALTER DATABASE ... SET has no field in PostgresDatabase' });
    }
  }
  return { names, skipped };
}

function emptiedNote(object: string, grantee: string): SkippedItem {
  return {
    what: 'privileges',
    name: `${grantee} on ${object}`,
    reason: 'every privilege PostgreSQL gives by default was revoked; a manifest cannot declare an absence, so this is not managed',
  };
}

const describeObject = (row: AclRow, database: string): string =>
  row.kind === 'database'
    ? `database ${row.object}`
    : `${row.kind} ${[database, row.schema, row.object, row.column].filter((p) => p !== null).join('.')}`;

function objectPrivileges(changed: readonly ChangedAcl<AclRow>[], database: (row: AclRow) => string, skipped: SkippedItem[]): readonly ObjectPrivileges[] {
  const items: ObjectPrivileges[] = [];
  for (const { row, grantee, held } of changed) {
    if (held.size === 0) {
      skipped.push(emptiedNote(describeObject(row, database(row)), grantee));
      continue;
    }
    if ((row.kind === 'function' || row.kind === 'type') && row.schema_quoted) {
      // PostgresGrant resolves `schema.name(args)` unquoted, so such a grant would never be found.
      skipped.push({ what: 'privileges', name: `${grantee} on ${describeObject(row, database(row))}`, reason: `grants on ${row.kind}s in a schema whose name needs quoting do not round-trip yet` });
      continue;
    }
    if (row.kind === 'procedure') {
      skipped.push({ what: 'privileges', name: `${grantee} on ${describeObject(row, database(row))}`, reason: 'PostgresGrant does not cover procedures' });
      continue;
    }
    items.push({ database: database(row), type: row.kind, schema: row.schema, object: row.object, column: row.column, grantee, held });
  }
  return items;
}

const aclKey = (row: AclRow): string => [row.kind, row.schema ?? '', row.object, row.column ?? ''].join('\u0000');

interface DatabaseContents {
  readonly schemas: readonly DiscoveredSchema[];
  readonly objects: readonly ObjectPrivileges[];
  readonly defaultPrivileges: readonly DiscoveredDefaultPrivileges[];
  readonly skipped: readonly SkippedItem[];
}

/** Three catalog queries, whatever the number of objects in the database. */
async function readDatabase(db: DatabaseConnection, serverVersion: number): Promise<DatabaseContents> {
  const database = db.database;
  const [schemaRows, aclRows, defaultRows] = await Promise.all([
    db.query<SchemaRow>(SCHEMAS),
    db.query<AclRow>(OBJECT_ACLS),
    db.query<DefaultAclRow>(DEFAULT_ACLS),
  ]);
  const skipped: SkippedItem[] = [];
  const schemas: DiscoveredSchema[] = [];
  for (const row of schemaRows.rows) {
    if (row.pristine_public) skipped.push({ what: 'schema', name: `${database}.public`, reason: 'owner and comment as PostgreSQL creates it' });
    else schemas.push({ database, name: row.nspname, owner: row.owner, comment: row.comment });
  }
  const objects = objectPrivileges(changedAcls(aclRows.rows, aclKey), () => database, skipped);
  const defaultPrivileges: DiscoveredDefaultPrivileges[] = [];
  const defaults = changedAcls(defaultRows.rows, (r) => [r.owner, r.schema ?? '', r.objtype].join('\u0000'));
  for (const { row, grantee, held } of defaults) {
    const scope = `default privileges of ${row.owner} in ${database}${row.schema !== null ? `.${row.schema}` : ''}`;
    const objectType = defaultObjectType(row.objtype);
    if (objectType === undefined) {
      skipped.push({ what: 'default privileges', name: `${scope} (object type ${row.objtype})`, reason: 'PostgresDefaultPrivileges has no such object type' });
    } else if (held.size === 0) {
      skipped.push(emptiedNote(`${objectType} (${scope})`, grantee));
    } else {
      defaultPrivileges.push(...defaultPrivilegesOf({ database, owner: row.owner, schema: row.schema, objectType, grantee, held }, serverVersion));
    }
  }
  return { schemas, objects, defaultPrivileges, skipped };
}

const TYPE_ORDER = ['database', 'schema', 'table', 'sequence', 'function', 'type'];

function compareGrants(a: DiscoveredGrant, b: DiscoveredGrant): number {
  const key = (g: DiscoveredGrant): string =>
    [g.database, String(TYPE_ORDER.indexOf(g.type)), g.schema ?? '', g.grantee, g.columns === undefined ? '0' : '1', (g.names ?? []).join(','), String(g.withGrantOption)].join('\u0000');
  const ka = key(a);
  const kb = key(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function compareDefaults(a: DiscoveredDefaultPrivileges, b: DiscoveredDefaultPrivileges): number {
  const key = (d: DiscoveredDefaultPrivileges): string => [d.database, d.owner, d.schema ?? '', d.objectType, d.grantee, String(d.withGrantOption)].join('\u0000');
  const ka = key(a);
  const kb = key(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * Reads roles, memberships, databases, schemas, grants and default privileges of a server with a
 * fixed number of catalog queries (four for the cluster, three per database). Read-only.
 * Left out, and listed in `skipped`: predefined `pg_*` roles, the role Steward connects as and
 * its memberships, templates and (unless asked for) the `postgres` database, `pg_*`,
 * `information_schema` and `steward_watch` (the running agent's event triggers) schemas, objects belonging to extensions, the `public` schema while its
 * owner and comment are as created, and privileges that equal an object's initial ones.
 */
export async function discoverInstance(conn: InstanceConnection, options: DiscoverOptions = {}): Promise<Discovery> {
  const before = conn.statementCount;
  const version = conn.serverVersion;
  const [roleRows, membershipRows, databaseRows] = await Promise.all([
    conn.query<RoleRow>(ROLES),
    conn.query<MembershipRow>(membershipsQuery(version)),
    conn.query<DatabaseRow>(DATABASES),
  ]);
  const cluster = rolesAndMemberships(roleRows.rows, membershipRows.rows);
  const chosen = chooseDatabases(databaseRows.rows, options.databases);
  const skipped: SkippedItem[] = [...cluster.skipped, ...chosen.skipped];
  const databaseAcls = chosen.names.length > 0 ? (await conn.query<AclRow>(DATABASE_ACLS, [chosen.names])).rows : [];
  const objects = [...objectPrivileges(changedAcls(databaseAcls, aclKey), (row) => row.object, skipped)];
  // One database at a time: each opens its own connections, and a server may hold hundreds.
  const contents: DatabaseContents[] = [];
  for (const name of chosen.names) contents.push(await readDatabase(conn.database(name), version));
  for (const c of contents) {
    objects.push(...c.objects);
    skipped.push(...c.skipped);
  }
  const chosenNames = new Set(chosen.names);
  return {
    serverVersion: version,
    connectedAs: cluster.connectedAs,
    roles: cluster.roles,
    memberships: cluster.memberships,
    databases: databaseRows.rows
      .filter((r) => chosenNames.has(r.datname))
      .map((r) => ({ name: r.datname, owner: r.owner, encoding: r.encoding, connectionLimit: r.datconnlimit, comment: r.comment })),
    schemas: contents.flatMap((c) => c.schemas),
    grants: [...groupGrants(objects, version)].sort(compareGrants),
    defaultPrivileges: contents.flatMap((c) => c.defaultPrivileges).sort(compareDefaults),
    skipped,
    catalogQueries: conn.statementCount - before,
  };
}
