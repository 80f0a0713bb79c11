/** The object types privileges are granted on, and what PostgreSQL allows on each. */
export const GRANT_OBJECT_TYPES = ['database', 'schema', 'table', 'sequence', 'function', 'type'] as const;
export type GrantObjectType = (typeof GRANT_OBJECT_TYPES)[number];

/**
 * Privileges by object type, in PostgreSQL's own order. `MAINTAIN` (tables) exists from
 * PostgreSQL 17; `ALL` means every privilege of the type on the server at hand.
 */
export const PRIVILEGES: Readonly<Record<GrantObjectType | 'column', readonly string[]>> = {
  database: ['CREATE', 'CONNECT', 'TEMPORARY'],
  schema: ['USAGE', 'CREATE'],
  table: ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER', 'MAINTAIN'],
  sequence: ['USAGE', 'SELECT', 'UPDATE'],
  function: ['EXECUTE'],
  type: ['USAGE'],
  column: ['SELECT', 'INSERT', 'UPDATE', 'REFERENCES'],
};

const ALIASES: Readonly<Record<string, string>> = { TEMP: 'TEMPORARY', 'ALL PRIVILEGES': 'ALL' };

/** Upper-cases and resolves aliases, so spelling and case never cause a diff. */
export function normalizePrivilege(privilege: string): string {
  const upper = privilege.trim().toUpperCase().replace(/\s+/g, ' ');
  return ALIASES[upper] ?? upper;
}

/**
 * The declared privileges as a sorted, de-duplicated list; `['ALL']` when ALL is among them (ALL is
 * resolved against the server when observed, since its meaning depends on the version).
 */
export function normalizePrivileges(privileges: readonly string[]): readonly string[] {
  const key = privileges.join('\u0000');
  let normalized = normalizedLists.get(key);
  if (normalized === undefined) {
    const set = new Set(privileges.map(normalizePrivilege));
    normalized = set.has('ALL') ? ['ALL'] : [...set].sort();
    normalizedLists.set(key, normalized);
  }
  return normalized;
}

/**
 * Lists already normalised, by their text: ten thousand grants spell their privileges a handful of
 * ways, and planning and observing each ask for every grant. Callers never modify the result.
 */
const normalizedLists = new Map<string, readonly string[]>();

/** A privilege token as Steward shows and compares it: `SELECT` or `SELECT WITH GRANT OPTION`. */
export function privilegeToken(privilege: string, grantable: boolean): string {
  return grantable ? `${privilege} WITH GRANT OPTION` : privilege;
}

export function tokenPrivilege(token: string): { readonly privilege: string; readonly grantable: boolean } {
  const grantable = token.endsWith(' WITH GRANT OPTION');
  return { privilege: grantable ? token.slice(0, -' WITH GRANT OPTION'.length) : token, grantable };
}
