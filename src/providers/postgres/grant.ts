import type { DesiredResource, FieldChange, JsonValue, ObservedResource } from '../../core/index.js';
import { POSTGRES_GRANT, declaredTokens, grantDeclaredAttributes, grantObjectKeys, isPublic, type PostgresGrantSpec } from '../../kinds/index.js';
import {
  RELKINDS,
  readColumns,
  readDatabases,
  readFunctions,
  readRelations,
  readSchemas,
  readTypes,
  resolveRoutinesAndTypes,
  EMPTY_SNAPSHOT,
  type AclSnapshot,
  type NamedObject,
} from './acl.js';
import type { DatabaseConnection, InstanceConnection } from './connection.js';
import { isMissingDatabase } from './by-database.js';
import { providerError, sqlState } from './errors.js';
import type { KindHandler } from './kind-handler.js';
import { expandTokens, fullSet, observedTokens, privilegeDelta, samePrivileges, type PrivilegeDelta } from './privilege-math.js';
import { databaseLockKey, lockCatalogObjects, schemaLockKey } from './object-lock.js';
import { jsonRows } from './json-rows.js';
import { ident } from './quote.js';

type Query = (text: string, params?: readonly unknown[]) => Promise<unknown>;

function privilegeType(spec: PostgresGrantSpec): 'database' | 'schema' | 'table' | 'sequence' | 'function' | 'type' | 'column' {
  return spec.columns !== undefined ? 'column' : spec.on.type;
}

function granteeSql(grantee: string): string {
  return isPublic(grantee) ? 'PUBLIC' : ident(grantee);
}

/** Catalog name of a declared object key (functions and types as the server spells them). */
function catalogKey(spec: PostgresGrantSpec, key: string, resolved: ReadonlyMap<string, string | null>): string | undefined {
  if (spec.on.type === 'function' || spec.on.type === 'type') return resolved.get(key) ?? undefined;
  return key;
}

/** Everything the grants of one database need, read with a fixed number of catalog queries. */
interface DatabaseAcls {
  readonly roles: ReadonlyMap<string, string>;
  readonly tables: AclSnapshot;
  readonly sequences: AclSnapshot;
  readonly columns: AclSnapshot;
  readonly functions: AclSnapshot;
  readonly types: AclSnapshot;
  readonly schemas: AclSnapshot;
  readonly resolved: ReadonlyMap<string, string | null>;
}


/** A grantee as ACL entries name it: PUBLIC's name is empty. */
function aclName(grantee: string): string {
  return isPublic(grantee) ? '' : grantee;
}

/** The grantees whose ACL entries the grants' observation reads, as ACLs name them. */
function aclGrantees(specs: readonly PostgresGrantSpec[]): readonly string[] {
  return [...new Set(specs.map((s) => aclName(s.grantee)))];
}

/** What the grants of one database read: the schemas of each type of object, the objects named, the grantees. */
interface AclRequest {
  readonly tableSchemas: Set<string>;
  readonly columnSchemas: Set<string>;
  readonly sequenceSchemas: Set<string>;
  readonly functionSchemas: Set<string>;
  readonly typeSchemas: Set<string>;
  readonly schemaNames: Set<string>;
  readonly functions: NamedObject[];
  readonly types: NamedObject[];
  /** The grantees as ACLs name them (see {@link aclName}). */
  readonly grantees: Set<string>;
}

/** Functions or types named in a schema, to resolve as the server spells them. */
function namedObjects(schema: string, names: readonly string[] | undefined): readonly NamedObject[] {
  // The schema is quoted for the server (a schema such as "Ledger" must not be folded to lower case).
  return (names ?? []).map((n) => ({ key: `${schema}.${n}`, text: `${ident(schema)}.${n}` }));
}

/**
 * One pass over the grants: a refresh runs this over every grant of a database, whose `on`
 * objects come in several shapes, and a pass per question cost several times more.
 */
function aclRequest(specs: readonly PostgresGrantSpec[]): AclRequest {
  const request: AclRequest = {
    tableSchemas: new Set(),
    columnSchemas: new Set(),
    sequenceSchemas: new Set(),
    functionSchemas: new Set(),
    typeSchemas: new Set(),
    schemaNames: new Set(),
    functions: [],
    types: [],
    grantees: new Set(),
  };
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    const { type, schema, names } = spec.on;
    request.grantees.add(aclName(spec.grantee));
    if (type === 'schema') {
      for (const name of names ?? []) request.schemaNames.add(name);
      continue;
    }
    if (schema === undefined) continue;
    if (spec.on.all === true) request.schemaNames.add(schema);
    if (spec.columns !== undefined) request.columnSchemas.add(schema);
    else if (type === 'table') request.tableSchemas.add(schema);
    else if (type === 'sequence') request.sequenceSchemas.add(schema);
    else if (type === 'function') {
      request.functionSchemas.add(schema);
      request.functions.push(...namedObjects(schema, names));
    } else if (type === 'type') {
      request.typeSchemas.add(schema);
      request.types.push(...namedObjects(schema, names));
    }
  }
  return request;
}

async function readDatabaseAcls(db: DatabaseConnection, specs: readonly PostgresGrantSpec[]): Promise<DatabaseAcls> {
  const request = aclRequest(specs);
  const readFor = [...request.grantees];
  // Roles to look up: every grantee but PUBLIC.
  const grantees = readFor.filter((g) => g !== '');
  // A read only for the schemas some grant asks about; none asked, none sent.
  const inSchemas = (schemas: ReadonlySet<string>, reader: (schemas: readonly string[]) => Promise<AclSnapshot>): AclSnapshot | Promise<AclSnapshot> =>
    schemas.size > 0 ? reader([...schemas]) : EMPTY_SNAPSHOT;
  const [roles, tables, sequences, columns, functions, types, schemas, resolved] = await Promise.all([
    grantees.length === 0
      ? Promise.resolve(new Map<string, string>())
      : jsonRows<{ oid: string; rolname: string }>(db, 'SELECT oid::text AS oid, rolname FROM pg_catalog.pg_roles WHERE rolname IN (SELECT unnest($1::text[]))', [grantees]).then(
          (rows) => new Map(rows.map((row) => [row.rolname, row.oid])),
        ),
    inSchemas(request.tableSchemas, (schemas) => readRelations(db, schemas, RELKINDS.table, readFor)),
    inSchemas(request.sequenceSchemas, (schemas) => readRelations(db, schemas, RELKINDS.sequence, readFor)),
    inSchemas(request.columnSchemas, (schemas) => readColumns(db, schemas, readFor)),
    inSchemas(request.functionSchemas, (schemas) => readFunctions(db, schemas, readFor)),
    inSchemas(request.typeSchemas, (schemas) => readTypes(db, schemas, readFor)),
    inSchemas(request.schemaNames, (schemas) => readSchemas(db, schemas, readFor)),
    resolveRoutinesAndTypes(db, request.functions, request.types),
  ]);
  return { roles, tables, sequences, columns, functions, types, schemas, resolved };
}

function snapshotFor(spec: PostgresGrantSpec, acls: DatabaseAcls, databases: AclSnapshot): AclSnapshot {
  if (spec.columns !== undefined) return acls.columns;
  switch (spec.on.type) {
    case 'database':
      return databases;
    case 'schema':
      return acls.schemas;
    case 'table':
      return acls.tables;
    case 'sequence':
      return acls.sequences;
    case 'function':
      return acls.functions;
    case 'type':
      return acls.types;
  }
}

function sameTokens(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `entries` (sorted in place when they are not already, as mostly they are) as an object in key order. */
function sortedRecord(entries: [string, JsonValue][]): Record<string, JsonValue> {
  for (let i = 1; i < entries.length; i++) {
    if (entries[i - 1]![0] > entries[i]![0]) {
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      break;
    }
  }
  return Object.fromEntries(entries);
}

/** Attributes of one grant as it stands, or undefined when it does not exist (see the kind's docs). */
function observeGrant(spec: PostgresGrantSpec, acls: DatabaseAcls, databases: AclSnapshot, version: number): ObservedResource | undefined {
  const granteeOid = isPublic(spec.grantee) ? '0' : acls.roles.get(spec.grantee);
  if (granteeOid === undefined) return undefined;
  const snapshot = snapshotFor(spec, acls, databases);
  const full = fullSet(privilegeType(spec), version);
  const additive = spec.mode === 'additive';
  const providerId = `${spec.on.database}/${granteeOid}`;
  const grantee = aclName(spec.grantee);
  if (spec.on.all === true) {
    if (!acls.schemas.objects.has(spec.on.schema!)) return undefined;
    const declared = grantDeclaredAttributes(spec);
    const tokens = declared['privileges'] as readonly string[];
    const desired = expandTokens(tokens, full);
    const missing: [string, JsonValue][] = [];
    const extra: [string, JsonValue][] = [];
    let holdsAny = false;
    const objects = snapshot.bySchema.get(spec.on.schema!) ?? [];
    // Index loops here and below: a for-of allocates a result per element even in optimised code
    // (the command's V8 does not inline), and a refresh runs these for every grant and object.
    for (let i = 0; i < objects.length; i++) {
      const object = objects[i]!;
      const held = snapshot.held(object, grantee);
      // Mostly each object holds exactly what is declared: nothing lacking, nothing extra.
      if (samePrivileges(held, desired)) {
        if (held.size > 0) holdsAny = true;
        continue;
      }
      if (!holdsAny) holdsAny = additive ? [...held.keys()].some((p) => desired.has(p)) : held.size > 0;
      const delta = privilegeDelta(desired, held, !additive);
      const lacking = [...delta.grant, ...delta.grantWithOption.map((p) => `${p} WITH GRANT OPTION`)].sort();
      const surplus = [...delta.revoke, ...delta.revokeOption.map((p) => `${p} WITH GRANT OPTION`)].sort();
      if (lacking.length > 0) missing.push([object, lacking]);
      if (surplus.length > 0) extra.push([object, surplus]);
    }
    // An empty schema holds nothing to grant on: the grant is in place (and stays so via default privileges).
    if (objects.length > 0 && !holdsAny) return undefined;
    // Nothing lacking and nothing extra: the declared attributes are what stands.
    if (missing.length === 0 && extra.length === 0) return { providerId, attributes: declared };
    const attributes: Record<string, JsonValue> = { privileges: [...tokens], missing: sortedRecord(missing) };
    if (!additive) attributes['extra'] = sortedRecord(extra);
    return { providerId, attributes };
  }
  const declared = grantDeclaredAttributes(spec);
  // The grant's object keys, as the declared attributes hold them (for-in allocates nothing).
  const declaredTokensOf = declared['privileges'] as Readonly<Record<string, readonly string[]>>;
  const found: (readonly string[])[] = [];
  let holdsAny = false;
  let asDeclared = true;
  for (const key in declaredTokensOf) {
    const object = catalogKey(spec, key, acls.resolved);
    if (object === undefined || !snapshot.objects.has(object)) return undefined;
    const tokens = observedTokens(snapshot.held(object, grantee), spec.privileges, spec.withGrantOption, additive, full);
    // Additive grants only see the declared privileges: other ones do not make this grant exist.
    if (tokens.length > 0) holdsAny = true;
    if (asDeclared && !sameTokens(tokens, declaredTokensOf[key]!)) asDeclared = false;
    found.push(tokens);
  }
  if (!holdsAny) return undefined;
  // Mostly every object holds just what is declared: the declared attributes are then what stands.
  if (asDeclared) return { providerId, attributes: declared };
  const privileges: [string, JsonValue][] = [];
  let i = 0;
  for (const key in declaredTokensOf) privileges.push([key, [...found[i++]!]]);
  return { providerId, attributes: { privileges: sortedRecord(privileges) } };
}

/** A table or sequence key (`schema.name`) as SQL, e.g. `"billing"."invoices"`. */
function relationSql(schema: string, key: string): string {
  return `${ident(schema)}.${ident(key.slice(schema.length + 1))}`;
}

/** The SQL object clause for one object key, e.g. `TABLE "billing"."invoices"`. */
async function objectClause(spec: PostgresGrantSpec, key: string, query: Query): Promise<{ readonly clause: string; readonly columns?: string }> {
  const on = spec.on;
  switch (on.type) {
    case 'database':
      return { clause: `DATABASE ${ident(key)}` };
    case 'schema':
      return { clause: `SCHEMA ${ident(key)}` };
    case 'table':
    case 'sequence': {
      const rest = key.slice(on.schema!.length + 1);
      if (spec.columns !== undefined) {
        const table = spec.columns.reduce((t, c) => (t.endsWith(`.${c}`) ? t.slice(0, -(c.length + 1)) : t), rest);
        const column = rest.slice(table.length + 1);
        return { clause: `TABLE ${ident(on.schema!)}.${ident(table)}`, columns: `(${ident(column)})` };
      }
      return { clause: `${on.type === 'table' ? 'TABLE' : 'SEQUENCE'} ${relationSql(on.schema!, key)}` };
    }
    case 'function':
    case 'type': {
      // The server resolves and spells the signature; nothing the user wrote reaches the SQL text.
      const fn = on.type === 'function' ? 'to_regprocedure' : 'to_regtype';
      const text = `${ident(on.schema!)}.${key.slice(on.schema!.length + 1)}`;
      const rows = (await query(`SELECT ${fn}($1)::text AS resolved`, [text])) as { rows: { resolved: string | null }[] };
      const resolved = rows.rows[0]?.resolved;
      if (!resolved) throw new Error(`${on.type} ${key} does not exist in database ${on.database}`);
      return { clause: `${on.type === 'function' ? 'FUNCTION' : 'TYPE'} ${resolved}` };
    }
  }
}

function allClause(spec: PostgresGrantSpec): string {
  const plural = spec.on.type === 'table' ? 'TABLES' : spec.on.type === 'sequence' ? 'SEQUENCES' : 'FUNCTIONS';
  return `ALL ${plural} IN SCHEMA ${ident(spec.on.schema!)}`;
}

function list(privileges: readonly string[], columns?: string): string {
  return privileges.map((p) => (columns ? `${p} ${columns}` : p)).join(', ');
}

/** The catalog objects a grant's statements lock: its database, or the schemas it touches. */
function lockKeys(spec: PostgresGrantSpec): readonly string[] {
  const on = spec.on;
  if (on.type === 'database') return [databaseLockKey(on.database)];
  if (on.type === 'schema') return (on.names ?? []).map((n) => schemaLockKey(on.database, n));
  return [schemaLockKey(on.database, on.schema!)];
}

async function applyDelta(spec: PostgresGrantSpec, clause: { readonly clause: string; readonly columns?: string }, delta: PrivilegeDelta, query: Query): Promise<void> {
  const to = granteeSql(spec.grantee);
  if (delta.revoke.length) await query(`REVOKE ${list(delta.revoke, clause.columns)} ON ${clause.clause} FROM ${to}`);
  if (delta.revokeOption.length) await query(`REVOKE GRANT OPTION FOR ${list(delta.revokeOption, clause.columns)} ON ${clause.clause} FROM ${to}`);
  if (delta.grant.length) await query(`GRANT ${list(delta.grant, clause.columns)} ON ${clause.clause} TO ${to}`);
  if (delta.grantWithOption.length) await query(`GRANT ${list(delta.grantWithOption, clause.columns)} ON ${clause.clause} TO ${to} WITH GRANT OPTION`);
}

async function converge(conn: InstanceConnection, resource: DesiredResource, before: FieldChange['before'] | undefined, changes: readonly FieldChange[] | undefined): Promise<void> {
  const spec = resource.spec as PostgresGrantSpec;
  const full = fullSet(privilegeType(spec), conn.serverVersion);
  const desired = expandTokens(declaredTokens(spec), full);
  // Database-level grants are cluster catalog rows: the instance's own database reaches them.
  const db = conn.database(spec.on.type === 'database' ? conn.defaultDatabase : spec.on.database);
  await db.transaction(async (query) => {
    await lockCatalogObjects(query, lockKeys(spec));
    if (spec.on.all === true) {
      const to = granteeSql(spec.grantee);
      const missing = changes?.find((c) => c.field === 'missing' || c.field === 'privileges');
      if (changes === undefined || missing !== undefined) {
        const plain = [...desired].filter(([, g]) => !g).map(([p]) => p);
        const withOption = [...desired].filter(([, g]) => g).map(([p]) => p);
        if (plain.length) await query(`GRANT ${list(plain)} ON ${allClause(spec)} TO ${to}`);
        if (withOption.length) await query(`GRANT ${list(withOption)} ON ${allClause(spec)} TO ${to} WITH GRANT OPTION`);
      }
      const extra = changes?.find((c) => c.field === 'extra')?.before;
      if (extra && typeof extra === 'object' && !Array.isArray(extra)) {
        for (const [object, tokens] of Object.entries(extra as Record<string, readonly string[]>)) {
          const clause =
            spec.on.type === 'function'
              ? { clause: `FUNCTION ${object}` }
              : { clause: `${spec.on.type === 'table' ? 'TABLE' : 'SEQUENCE'} ${relationSql(spec.on.schema!, object)}` };
          const surplus = expandTokens(tokens, full);
          const revoke = [...surplus].filter(([p, g]) => !(g && desired.has(p))).map(([p]) => p);
          const revokeOption = [...surplus].filter(([p, g]) => g && desired.has(p)).map(([p]) => p);
          if (revoke.length) await query(`REVOKE ${list(revoke)} ON ${clause.clause} FROM ${to}`);
          if (revokeOption.length) await query(`REVOKE GRANT OPTION FOR ${list(revokeOption)} ON ${clause.clause} FROM ${to}`);
        }
      }
      return;
    }
    const observedByKey = (before ?? {}) as Readonly<Record<string, readonly string[]>>;
    const authoritative = spec.mode === 'authoritative';
    // Named tables or sequences that need the same statements share them (`GRANT ... ON TABLE a, b`):
    // one statement per distinct change instead of one per object. Columns and routines go one by one.
    const shared = (spec.on.type === 'table' || spec.on.type === 'sequence') && spec.columns === undefined;
    const byDelta = new Map<string, { readonly delta: PrivilegeDelta; readonly objects: string[] }>();
    for (const key of grantObjectKeys(spec)) {
      const delta = privilegeDelta(desired, expandTokens(observedByKey[key] ?? [], full), authoritative);
      if (!shared) {
        await applyDelta(spec, await objectClause(spec, key, query), delta, query);
        continue;
      }
      const id = JSON.stringify(delta);
      const object = relationSql(spec.on.schema!, key);
      const group = byDelta.get(id);
      if (group) group.objects.push(object);
      else byDelta.set(id, { delta, objects: [object] });
    }
    for (const { delta, objects } of byDelta.values()) {
      await applyDelta(spec, { clause: `${spec.on.type === 'table' ? 'TABLE' : 'SEQUENCE'} ${objects.join(', ')}` }, delta, query);
    }
  });
}

const GONE = new Set(['42P01', '42883', '42704', '3F000', '3D000']);

export const grantHandler: KindHandler = {
  kind: POSTGRES_GRANT,
  // Grants of one schema lock it, and verifying them reads its objects.
  locality: (spec) => lockKeys(spec as PostgresGrantSpec)[0] ?? '',

  observe: async (conn, requests) => {
    const items = requests.filter((r) => r.spec !== null && typeof r.spec === 'object') as readonly { name: string; spec: PostgresGrantSpec }[];
    const found = new Map<string, ObservedResource>();
    if (items.length === 0) return found;
    const dbGrants = items.filter((i) => i.spec.on.type === 'database');
    const databases = dbGrants.length
      ? await readDatabases(
          conn.database(conn.defaultDatabase),
          [...new Set(dbGrants.map((i) => i.spec.on.database))],
          aclGrantees(dbGrants.map((i) => i.spec)),
        )
      : EMPTY_SNAPSHOT;
    const byDatabase = new Map<string, { name: string; spec: PostgresGrantSpec }[]>();
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      // Database grants read cluster catalogs: group them with the instance's own database.
      const db = item.spec.on.type === 'database' ? '' : item.spec.on.database;
      // Pushed, not spread into a new array: copying per item is quadratic in the grants of a database.
      const group = byDatabase.get(db);
      if (group) group.push(item);
      else byDatabase.set(db, [item]);
    }
    await Promise.all(
      [...byDatabase].map(async ([database, group]) => {
        let acls: DatabaseAcls;
        try {
          acls = await readDatabaseAcls(conn.database(database === '' ? conn.defaultDatabase : database), group.map((g) => g.spec));
        } catch (error) {
          if (isMissingDatabase(error)) return;
          throw error;
        }
        for (let i = 0; i < group.length; i++) {
          const item = group[i]!;
          const observed = observeGrant(item.spec, acls, databases, conn.serverVersion);
          if (observed) found.set(item.name, observed);
        }
      }),
    );
    return found;
  },

  create: async (conn, resource) => {
    try {
      await converge(conn, resource, undefined, undefined);
    } catch (error) {
      throw providerError('create', resource.address, error);
    }
  },

  update: async (conn, resource, changes) => {
    try {
      await converge(conn, resource, changes.find((c) => c.field === 'privileges')?.before, changes);
    } catch (error) {
      throw providerError('update', resource.address, error);
    }
  },

  delete: async (conn, name, specValue) => {
    if (specValue === null || typeof specValue !== 'object') return;
    const spec = specValue as PostgresGrantSpec;
    const to = granteeSql(spec.grantee);
    const authoritative = spec.mode === 'authoritative';
    const declared = [...expandTokens(declaredTokens(spec), fullSet(privilegeType(spec), conn.serverVersion)).keys()];
    const db = conn.database(spec.on.type === 'database' ? conn.defaultDatabase : spec.on.database);
    try {
      await db.transaction(async (query) => {
        await lockCatalogObjects(query, lockKeys(spec));
        if (spec.on.all === true) {
          await query(`REVOKE ${authoritative ? 'ALL' : list(declared)} ON ${allClause(spec)} FROM ${to}`);
          return;
        }
        for (const key of grantObjectKeys(spec)) {
          const clause = await objectClause(spec, key, query).catch(() => undefined);
          if (!clause) continue;
          const privileges = authoritative ? (clause.columns ? list(['SELECT', 'INSERT', 'UPDATE', 'REFERENCES'], clause.columns) : 'ALL') : list(declared, clause.columns);
          await query(`REVOKE ${privileges} ON ${clause.clause} FROM ${to}`);
        }
      });
    } catch (error) {
      const state = sqlState(error);
      if (state !== undefined && GONE.has(state)) return;
      throw providerError('delete', `${POSTGRES_GRANT}/${name}`, error);
    }
  },
};
