import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { uniqueName } from '../../../test/fixtures.js';
import { granteeEntryKeys, heldIn, parseAcl } from './aclitem.js';
import type { PrivilegeMap } from './privilege-math.js';

const plain = (acl: ReadonlyMap<string, PrivilegeMap>): Record<string, Record<string, boolean>> =>
  Object.fromEntries([...acl].map(([grantee, held]) => [grantee, Object.fromEntries([...held].sort(([a], [b]) => (a < b ? -1 : 1)))]));

describe('parseAcl', () => {
  it('reads grantees, PUBLIC, grant options and every privilege letter', () => {
    expect(plain(parseAcl(['alice=arw*/owner', '=r/owner', 'owner=arwdDxtm/owner', 'db=CTc*/owner', 'fn=X/owner', 'ns=UC/owner', 'p=sA/owner']))).toEqual({
      alice: { INSERT: false, SELECT: false, UPDATE: true },
      '': { SELECT: false },
      owner: { DELETE: false, INSERT: false, MAINTAIN: false, REFERENCES: false, SELECT: false, TRIGGER: false, TRUNCATE: false, UPDATE: false },
      db: { CONNECT: true, CREATE: false, TEMPORARY: false },
      fn: { EXECUTE: false },
      ns: { CREATE: false, USAGE: false },
      p: { 'ALTER SYSTEM': false, SET: false },
    });
  });

  it('unquotes names the server quoted, with their doubled quotes and the separators inside', () => {
    expect([...parseAcl(['"we""ird=/name"=r/"gr=an/tor"', '"Ledger Team"=w/owner']).keys()]).toEqual(['we"ird=/name', 'Ledger Team']);
  });

  it('merges the entries several grantors made for one grantee: grantable if any made it so', () => {
    expect(plain(parseAcl(['alice=r/owner', 'alice=r*w/other']))).toEqual({ alice: { SELECT: true, UPDATE: false } });
  });

  it('reads an item it has read before the same way, in any ACL, and a merge changes no earlier result', () => {
    const first = parseAcl(['carol=r/owner', 'dave=a/owner']);
    const second = parseAcl(['dave=w*/other', 'carol=r/owner', 'carol=a*/other']);
    expect(plain(second)).toEqual({ carol: { INSERT: true, SELECT: false }, dave: { UPDATE: true } });
    expect(plain(first)).toEqual({ carol: { SELECT: false }, dave: { INSERT: false } });
    expect(plain(parseAcl(['carol=r/owner']))).toEqual({ carol: { SELECT: false } });
    expect(Object.fromEntries(heldIn(['carol=r/owner', 'carol=a*/other'], 'carol'))).toEqual({ INSERT: true, SELECT: false });
  });

  it("reads one grantee's entries alone, never another's that merely starts alike", () => {
    // Roles named abc, "abc (a leading quote) and abc=x, and PUBLIC.
    const items = ['"abc=x"=r/o', '"""abc"=w/o', 'abc=a/o', 'abc=d*/other', '=U/o'];
    expect(Object.fromEntries(heldIn(items, 'abc'))).toEqual({ INSERT: false, DELETE: true });
    expect(Object.fromEntries(heldIn(items, '"abc'))).toEqual({ UPDATE: false });
    expect(Object.fromEntries(heldIn(items, 'abc=x'))).toEqual({ SELECT: false });
    expect(Object.fromEntries(heldIn(items, ''))).toEqual({ USAGE: false });
    expect(heldIn(items, 'ab').size).toBe(0);
    for (const grantee of ['abc', '"abc', 'abc=x', '', 'ab']) expect(heldIn(items, grantee)).toEqual(parseAcl(items).get(grantee) ?? new Map());
  });

  it('rejects what is not an ACL entry', () => {
    expect(() => parseAcl(['alice'])).toThrow(/malformed ACL entry alice/);
    expect(() => parseAcl(['alice=r'])).toThrow(/malformed/);
    expect(() => parseAcl(['alice=q/owner'])).toThrow(/unknown privilege 'q'/);
    expect(() => parseAcl(['"alice=r/owner'])).toThrow(/malformed/);
  });

  it('reads what aclexplode reads, for the names a server quotes', async () => {
    const { host, port, user, password } = inject('pg');
    const client = new pg.Client({ host, port, user, password, database: 'postgres' });
    await client.connect();
    const suffix = uniqueName('acl');
    const roles = [`Mixed ${suffix}`, `quo"te=/${suffix}`, `plain_${suffix}`, `ünï_${suffix}`];
    const table = `acl_${suffix}`;
    const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;
    try {
      for (const role of roles) await client.query(`CREATE ROLE ${q(role)}`);
      await client.query(`CREATE TABLE ${q(table)} (id int)`);
      await client.query(`GRANT SELECT, INSERT ON ${q(table)} TO ${q(roles[0]!)}, ${q(roles[1]!)} WITH GRANT OPTION`);
      await client.query(`GRANT UPDATE ON ${q(table)} TO ${q(roles[2]!)}, ${q(roles[3]!)}, PUBLIC`);
      const { rows } = await client.query<{ acl: string[]; exploded: { grantee: string; privilege: string; grantable: boolean }[] }>(
        `SELECT c.relacl::text[] AS acl,
                (SELECT json_agg(json_build_object('grantee', coalesce(r.rolname, ''), 'privilege', e.privilege_type, 'grantable', e.is_grantable))
                   FROM aclexplode(c.relacl) e LEFT JOIN pg_roles r ON r.oid = e.grantee) AS exploded
           FROM pg_class c WHERE c.oid = $1::regclass`,
        [q(table)],
      );
      const expected = new Map<string, Map<string, boolean>>();
      for (const e of rows[0]!.exploded) {
        const held = expected.get(e.grantee) ?? new Map<string, boolean>();
        held.set(e.privilege, (held.get(e.privilege) ?? false) || e.grantable);
        expected.set(e.grantee, held);
      }
      expect(plain(parseAcl(rows[0]!.acl))).toEqual(plain(expected));
      expect([...parseAcl(rows[0]!.acl).keys()]).toEqual(expect.arrayContaining([...roles, '']));
      for (const grantee of [...roles, '']) expect(plain(new Map([[grantee, heldIn(rows[0]!.acl, grantee)]]))).toEqual(plain(new Map([[grantee, expected.get(grantee)!]])));
      // The server keeps every entry of the grantees read for, whatever their names.
      for (const grantee of [...roles, '']) {
        const { rows: kept } = await client.query<{ acl: string[] }>(
          `SELECT ARRAY(SELECT i FROM unnest(c.relacl::text[]) i WHERE split_part(i, '=', 1) = ANY($2::text[])) AS acl
             FROM pg_class c WHERE c.oid = $1::regclass`,
          [q(table), granteeEntryKeys([grantee])],
        );
        expect(plain(new Map([[grantee, heldIn(kept[0]!.acl, grantee)]]))).toEqual(plain(new Map([[grantee, expected.get(grantee)!]])));
      }
    } finally {
      await client.query(`DROP TABLE IF EXISTS ${q(table)}`);
      for (const role of roles) await client.query(`DROP ROLE IF EXISTS ${q(role)}`);
      await client.end();
    }
  });
});
