import { DEFAULT_OBJECT_TYPES, type DefaultObjectType, type GrantObjectType } from '../../kinds/index.js';
import type { DiscoveredDefaultPrivileges, DiscoveredGrant } from './discover-types.js';
import { fullSet, samePrivileges, type PrivilegeMap } from './privilege-math.js';

interface AclLike {
  readonly source: 'held' | 'initial';
  readonly grantee: string;
  readonly privilege: string;
  readonly grantable: boolean;
}

/** What one grantee holds on one object, where that differs from what the object started with. */
export interface ChangedAcl<Row> {
  /** A row of the object, for its identifying columns. */
  readonly row: Row;
  readonly grantee: string;
  /** Empty when every initial privilege was revoked: an absence no manifest can declare. */
  readonly held: PrivilegeMap;
}

/**
 * Compares each grantee's privileges on each object with the object's initial ACL; the owner's
 * implicit privileges and built-in defaults (PUBLIC's CONNECT and TEMPORARY on databases,
 * EXECUTE on functions, USAGE on types) are therefore left out unless they were changed.
 */
export function changedAcls<Row extends AclLike>(rows: readonly Row[], objectKey: (row: Row) => string): readonly ChangedAcl<Row>[] {
  const groups = new Map<string, { row: Row; held: Map<string, boolean>; initial: Map<string, boolean> }>();
  for (const row of rows) {
    const key = `${objectKey(row)}\u0000${row.grantee}`;
    let group = groups.get(key);
    if (!group) {
      group = { row, held: new Map(), initial: new Map() };
      groups.set(key, group);
    }
    const side = row.source === 'held' ? group.held : group.initial;
    side.set(row.privilege, (side.get(row.privilege) ?? false) || row.grantable);
  }
  return [...groups.values()].filter((g) => !samePrivileges(g.held, g.initial)).map((g) => ({ row: g.row, grantee: g.row.grantee, held: g.held }));
}

/** How a held set is declared: one authoritative grant, or two additive ones when grant options are mixed. */
interface Declaration {
  readonly privileges: readonly string[];
  readonly withGrantOption: boolean;
  readonly mode: 'authoritative' | 'additive';
}

function privilegeList(privileges: readonly string[], full: readonly string[]): readonly string[] {
  const all = full.length > 1 && privileges.length === full.length && full.every((p) => privileges.includes(p));
  if (all) return ['ALL'];
  const rank = (p: string): number => (full.includes(p) ? full.indexOf(p) : full.length);
  return [...privileges].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * A PostgresGrant has one `withGrantOption` for all its privileges. When a grantee holds some
 * privileges with and some without it, an authoritative grant of either would see the others as
 * drift, so the two halves become two additive grants, which together plan empty.
 */
export function declarations(held: PrivilegeMap, full: readonly string[]): readonly Declaration[] {
  const withOption = [...held].filter(([, g]) => g).map(([p]) => p);
  const without = [...held].filter(([, g]) => !g).map(([p]) => p);
  if (withOption.length === 0 || without.length === 0) {
    return [{ privileges: privilegeList([...held.keys()], full), withGrantOption: withOption.length > 0, mode: 'authoritative' }];
  }
  return [
    { privileges: privilegeList(without, full), withGrantOption: false, mode: 'additive' },
    { privileges: privilegeList(withOption, full), withGrantOption: true, mode: 'additive' },
  ];
}

const declarationKey = (d: Declaration): string => `${d.mode}|${d.withGrantOption}|${d.privileges.join(',')}`;

/** One grantee's changed privileges on one object (a column: `object` is its table). */
export interface ObjectPrivileges {
  readonly database: string;
  readonly type: GrantObjectType | 'column';
  readonly schema: string | null;
  readonly object: string;
  readonly column: string | null;
  readonly grantee: string;
  readonly held: PrivilegeMap;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const sortedUnique = (values: readonly string[]): readonly string[] => [...new Set(values)].sort();

/**
 * Turns per-object privileges into PostgresGrant-shaped groups: a grantee's identical privileges
 * on several objects of one type and schema (or on several schemas) become one grant with
 * `names`; column privileges group first by table (columns), then tables with the same columns.
 */
export function groupGrants(items: readonly ObjectPrivileges[], serverVersion: number): readonly DiscoveredGrant[] {
  interface Unit {
    readonly item: ObjectPrivileges;
    readonly declaration: Declaration;
    readonly columns?: readonly string[];
  }
  const units: Unit[] = [];
  const byTable = new Map<string, { item: ObjectPrivileges; declaration: Declaration; columns: string[] }>();
  for (const item of items) {
    for (const declaration of declarations(item.held, fullSet(item.type, serverVersion))) {
      if (item.type !== 'column') {
        units.push({ item, declaration });
        continue;
      }
      const key = [item.database, item.schema, item.object, item.grantee, declarationKey(declaration)].join('\u0000');
      const entry = byTable.get(key) ?? { item, declaration, columns: [] };
      entry.columns.push(item.column ?? '');
      byTable.set(key, entry);
    }
  }
  for (const { item, declaration, columns } of byTable.values()) units.push({ item, declaration, columns: sortedUnique(columns) });

  const groups = new Map<string, Unit[]>();
  for (const unit of units) {
    const { item } = unit;
    // A database grant names no objects: each database is its own grant.
    const object = item.type === 'database' ? item.object : '';
    push(groups, [item.database, item.type, item.schema ?? '', object, item.grantee, declarationKey(unit.declaration), (unit.columns ?? []).join(',')].join('\u0000'), unit);
  }
  const grants: DiscoveredGrant[] = [];
  for (const group of groups.values()) {
    const { item, declaration, columns } = group[0]!;
    const type: GrantObjectType = item.type === 'column' ? 'table' : item.type;
    grants.push({
      database: item.database,
      type,
      ...(item.schema !== null && type !== 'schema' ? { schema: item.schema } : {}),
      ...(type !== 'database' ? { names: sortedUnique(group.map((u) => u.item.object)) } : {}),
      ...(columns !== undefined ? { columns } : {}),
      grantee: item.grantee,
      ...declaration,
    });
  }
  return grants;
}

/** pg_default_acl.defaclobjtype → the kind's objectType; `L` (large objects, 18+) has none. */
const DEFAULT_ACL_TYPES: Readonly<Record<string, DefaultObjectType>> = { r: 'tables', S: 'sequences', f: 'functions', T: 'types', n: 'schemas' };

export function defaultObjectType(objtype: string): DefaultObjectType | undefined {
  return DEFAULT_ACL_TYPES[objtype];
}

/** One grantee's changed default privileges for one (owner, schema, object type). */
export interface DefaultPrivilegesHeld {
  readonly database: string;
  readonly owner: string;
  readonly schema: string | null;
  readonly objectType: DefaultObjectType;
  readonly grantee: string;
  readonly held: PrivilegeMap;
}

export function defaultPrivilegesOf(item: DefaultPrivilegesHeld, serverVersion: number): readonly DiscoveredDefaultPrivileges[] {
  return declarations(item.held, fullSet(DEFAULT_OBJECT_TYPES[item.objectType], serverVersion)).map((declaration) => ({
    database: item.database,
    owner: item.owner,
    ...(item.schema !== null ? { schema: item.schema } : {}),
    objectType: item.objectType,
    grantee: item.grantee,
    ...declaration,
  }));
}
