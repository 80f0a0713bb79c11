import { PRIVILEGES, normalizePrivileges, privilegeToken, tokenPrivilege } from '../../kinds/index.js';

/** Privilege → whether it is held (or wanted) with grant option. */
export type PrivilegeMap = ReadonlyMap<string, boolean>;

/** PostgreSQL 17 added MAINTAIN on tables; ALL means what the server at hand has. */
const TABLE_BEFORE_17: readonly string[] = PRIVILEGES.table.filter((p) => p !== 'MAINTAIN');

/** One array per type and server, the same at every call (declarations are kept by it). */
export function fullSet(type: keyof typeof PRIVILEGES, serverVersion: number): readonly string[] {
  return type === 'table' && serverVersion < 170000 ? TABLE_BEFORE_17 : PRIVILEGES[type];
}

/** Tokens (`SELECT`, `ALL WITH GRANT OPTION`) to a map, with ALL expanded for this server. */
export function expandTokens(tokens: readonly string[], full: readonly string[]): PrivilegeMap {
  const out = new Map<string, boolean>();
  // By index: a refresh expands the tokens of every grant, and a for-of allocates a result for each.
  for (let i = 0; i < tokens.length; i++) {
    const { privilege, grantable } = tokenPrivilege(tokens[i]!);
    if (privilege !== 'ALL') out.set(privilege, (out.get(privilege) ?? false) || grantable);
    else for (let j = 0; j < full.length; j++) out.set(full[j]!, (out.get(full[j]!) ?? false) || grantable);
  }
  return out;
}

interface Declaration {
  readonly wanted: PrivilegeMap;
  readonly declaresAll: boolean;
  /** What {@link observedTokens} says when exactly the wanted privileges are held, by `additive` (worked out on first use). */
  readonly asDeclared: Map<boolean, readonly string[]>;
}

/**
 * A declaration's privileges, worked out once per distinct declaration: ten thousand grants spell
 * their privileges a handful of ways, and a refresh asks for every grant and object.
 */
const declarations = new Map<readonly string[], readonly [Map<string, Declaration>, Map<string, Declaration>]>();

function declaration(declared: readonly string[], withGrantOption: boolean, full: readonly string[]): Declaration {
  // Kept by full set (one array each, see `fullSet`), grant option, then the privileges as
  // spelled: mostly one, used as it is, so finding a declaration builds no string.
  let byOption = declarations.get(full);
  if (byOption === undefined) declarations.set(full, (byOption = [new Map(), new Map()]));
  const byPrivileges = byOption[withGrantOption ? 1 : 0];
  const key = declared.length === 1 ? declared[0]! : declared.join('\u0000');
  let found = byPrivileges.get(key);
  if (found === undefined) {
    const normalized = normalizePrivileges(declared);
    found = {
      wanted: expandTokens(normalized.map((p) => privilegeToken(p, withGrantOption)), full),
      declaresAll: normalized[0] === 'ALL',
      asDeclared: new Map(),
    };
    byPrivileges.set(key, found);
  }
  return found;
}

/**
 * How a held set of privileges reads against a declaration, as sorted tokens. Authoritative: all
 * held privileges count. Additive: only declared ones, and a grant option only if declared. When
 * ALL is declared and every privilege of the type is held, they read as `ALL` (so the server's
 * version never causes a diff).
 */
export function observedTokens(
  held: PrivilegeMap,
  declared: readonly string[],
  withGrantOption: boolean,
  additive: boolean,
  full: readonly string[],
): readonly string[] {
  const found = declaration(declared, withGrantOption, full);
  // Mostly what is held is exactly what is declared: then the answer is the declaration's own.
  if (samePrivileges(held, found.wanted)) {
    let tokens = found.asDeclared.get(additive);
    if (tokens === undefined) found.asDeclared.set(additive, (tokens = readTokens(found.wanted, found, additive, full)));
    return tokens;
  }
  return readTokens(held, found, additive, full);
}

/** Whether two maps hold the same privileges with the same grant options. */
export function samePrivileges(a: PrivilegeMap, b: PrivilegeMap): boolean {
  if (a.size !== b.size) return false;
  // forEach rather than for-of, which allocates an entry and a result per privilege: a refresh
  // compares every grant on every object.
  let same = true;
  a.forEach((grantable, privilege) => {
    if (same && b.get(privilege) !== grantable) same = false;
  });
  return same;
}

function readTokens(held: PrivilegeMap, { wanted, declaresAll }: Declaration, additive: boolean, full: readonly string[]): readonly string[] {
  const counted = new Map<string, boolean>();
  for (const [privilege, grantable] of held) {
    if (additive && !wanted.has(privilege)) continue;
    counted.set(privilege, additive ? grantable && (wanted.get(privilege) ?? false) : grantable);
  }
  if (declaresAll && full.every((p) => counted.has(p))) {
    const grantable = full.map((p) => counted.get(p) ?? false);
    if (grantable.every((g) => g) || grantable.every((g) => !g)) {
      const rest = [...counted].filter(([p]) => !full.includes(p)).map(([p, g]) => privilegeToken(p, g));
      return [privilegeToken('ALL', grantable[0] ?? false), ...rest].sort();
    }
  }
  return [...counted].map(([p, g]) => privilegeToken(p, g)).sort();
}

export interface PrivilegeDelta {
  readonly grant: readonly string[];
  readonly grantWithOption: readonly string[];
  /** Privileges to revoke entirely. */
  readonly revoke: readonly string[];
  /** Privileges to keep, but without the grant option. */
  readonly revokeOption: readonly string[];
}

/** What to GRANT and REVOKE to go from `observed` to `desired` (revokes only when authoritative). */
export function privilegeDelta(desired: PrivilegeMap, observed: PrivilegeMap, authoritative: boolean): PrivilegeDelta {
  const grant: string[] = [];
  const grantWithOption: string[] = [];
  const revoke: string[] = [];
  const revokeOption: string[] = [];
  for (const [p, g] of desired) {
    const held = observed.get(p);
    if (g && held !== true) grantWithOption.push(p);
    else if (!g && held === undefined) grant.push(p);
  }
  if (authoritative) {
    for (const [p, g] of observed) {
      const want = desired.get(p);
      if (want === undefined) revoke.push(p);
      else if (g && !want) revokeOption.push(p);
    }
  }
  return { grant, grantWithOption, revoke, revokeOption };
}
