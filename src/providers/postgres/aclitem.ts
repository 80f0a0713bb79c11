import type { PrivilegeMap } from './privilege-math.js';

/** The letters of `aclitem`'s text form (PostgreSQL's ACL_*_CHR), as the privileges aclexplode names. */
const LETTERS: Readonly<Record<string, string>> = {
  a: 'INSERT',
  r: 'SELECT',
  w: 'UPDATE',
  d: 'DELETE',
  D: 'TRUNCATE',
  x: 'REFERENCES',
  t: 'TRIGGER',
  X: 'EXECUTE',
  U: 'USAGE',
  C: 'CREATE',
  T: 'TEMPORARY',
  c: 'CONNECT',
  s: 'SET',
  A: 'ALTER SYSTEM',
  m: 'MAINTAIN',
};

/**
 * `arw*` → privilege → grantable. A read of ten thousand grants holds a handful of distinct
 * privilege strings, so each is parsed once per process and shared (nobody writes to them).
 */
const parsedPrivileges = new Map<string, PrivilegeMap>();

function privilegesOf(text: string, item: string): PrivilegeMap {
  let parsed = parsedPrivileges.get(text);
  if (parsed === undefined) {
    const held = new Map<string, boolean>();
    for (let i = 0; i < text.length; i++) {
      const privilege = LETTERS[text[i]!];
      if (privilege === undefined) throw new Error(`unknown privilege '${text[i]}' in ACL entry ${item}`);
      const grantable = text[i + 1] === '*';
      if (grantable) i++;
      held.set(privilege, grantable);
    }
    parsedPrivileges.set(text, (parsed = held));
  }
  return parsed;
}

/** The grantee's name at the start of an item, as `aclitemout` writes it (double-quoted, quotes doubled, when not plain), and where it ends. */
function granteeName(item: string): readonly [name: string, end: number] {
  if (item[0] !== '"') {
    const end = item.indexOf('=');
    if (end < 0) throw new Error(`malformed ACL entry ${item}`);
    return [item.slice(0, end), end];
  }
  let name = '';
  let i = 1;
  for (;;) {
    const quote = item.indexOf('"', i);
    if (quote < 0) throw new Error(`malformed ACL entry ${item}`);
    name += item.slice(i, quote);
    if (item[quote + 1] === '"') {
      name += '"';
      i = quote + 2;
    } else return [name, quote + 1];
  }
}

/**
 * The entries of an ACL in its text form, one item per entry (`alice=arw*` followed by a slash
 * and the grantor; PUBLIC's name is empty), by grantee name. Several grantors may grant the same
 * privilege: it is held with grant option if any of them gave it so. This is what aclexplode
 * would return, read without asking the server to expand tens of thousands of rows.
 */
export function parseAcl(items: readonly string[]): ReadonlyMap<string, PrivilegeMap> {
  const byGrantee = new Map<string, PrivilegeMap>();
  // By index, here and below: a for-of or a destructuring goes through an iterator, and a
  // refresh reads 100,000 items.
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const found = granteeName(item);
    byGrantee.set(found[0], merge(byGrantee.get(found[0]), itemPrivileges(item, found[1])));
  }
  return byGrantee;
}

/** The privileges of one item whose grantee name ends at `equals`. */
function itemPrivileges(item: string, equals: number): PrivilegeMap {
  if (item[equals] !== '=') throw new Error(`malformed ACL entry ${item}`);
  const slash = item.indexOf('/', equals + 1);
  if (slash < 0) throw new Error(`malformed ACL entry ${item}`);
  return privilegesOf(item.slice(equals + 1, slash), item);
}

/** Another grantor's entry for the same grantee added to what it holds (shared maps are never written). */
function merge(before: PrivilegeMap | undefined, held: PrivilegeMap): PrivilegeMap {
  if (before === undefined) return held;
  const merged = new Map(before);
  for (const [privilege, grantable] of held) merged.set(privilege, (merged.get(privilege) ?? false) || grantable);
  return merged;
}

/**
 * What one grantee holds in an ACL's items, as {@link parseAcl} would say for it: only the items
 * that can be its own (they start with its name, plain or quoted) are parsed. A grant asks about
 * its own grantee on objects that carry dozens of others' entries.
 */
export function heldIn(items: readonly string[], grantee: string): PrivilegeMap {
  const plain = `${grantee}=`;
  const quoted = `"${grantee.replace(/"/g, '""')}"=`;
  let held: PrivilegeMap | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (!item.startsWith(plain) && !item.startsWith(quoted)) continue;
    const found = granteeName(item);
    if (found[0] === grantee) held = merge(held, itemPrivileges(item, found[1]));
  }
  return held ?? NO_PRIVILEGES;
}

/** Nothing held (shared; nobody writes to it). */
export const NO_PRIVILEGES: PrivilegeMap = new Map();

/**
 * What the server's `split_part(item, '=', 1)` gives for the entries of these grantees (an empty
 * name is PUBLIC), so a read can keep only their entries. `aclitemout` double-quotes a name that
 * is not all letters, digits and underscores (ASCII for sure; other letters depend on the
 * server's locale, so both spellings are kept); a name holding '=' is cut at it, which may keep
 * a few entries of other grantees, never lose one: the client parses exactly whose entry it is.
 */
export function granteeEntryKeys(names: Iterable<string>): readonly string[] {
  const keys = new Set<string>();
  for (const name of names) {
    if (/^[A-Za-z0-9_]*$/.test(name)) {
      keys.add(name);
      continue;
    }
    const quoted = `"${name.replace(/"/g, '""')}"`;
    keys.add(quoted.split('=', 1)[0]!);
    if (/^[\p{L}\p{N}_]+$/u.test(name)) keys.add(name);
  }
  return [...keys];
}
