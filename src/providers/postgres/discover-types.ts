import type { DefaultObjectType, GrantObjectType } from '../../kinds/index.js';

/**
 * What `discoverInstance` found on a server, as plain data shaped after the kinds' specs, so a
 * manifest written from it plans empty. Privileges are PostgreSQL's upper-case names, or `ALL`.
 */
export interface Discovery {
  /** `server_version_num`, e.g. 180004. */
  readonly serverVersion: number;
  /** The role Steward connected as: never imported as a role (see `skipped`). */
  readonly connectedAs: string;
  readonly roles: readonly DiscoveredRole[];
  readonly memberships: readonly DiscoveredMembership[];
  readonly databases: readonly DiscoveredDatabase[];
  readonly schemas: readonly DiscoveredSchema[];
  readonly grants: readonly DiscoveredGrant[];
  readonly defaultPrivileges: readonly DiscoveredDefaultPrivileges[];
  /** What was left out, and why: reported to the user, never silently dropped. */
  readonly skipped: readonly SkippedItem[];
  /** Catalog queries sent: a fixed number per database, whatever the number of objects. */
  readonly catalogQueries: number;
}

export interface DiscoveredRole {
  readonly name: string;
  readonly login: boolean;
  readonly superuser: boolean;
  readonly createdb: boolean;
  readonly createrole: boolean;
  readonly inherit: boolean;
  readonly replication: boolean;
  readonly bypassrls: boolean;
  readonly connectionLimit: number;
  /** ISO 8601 in UTC with milliseconds, as the role handler observes it; null for never. */
  readonly validUntil: string | null;
  /** Parameter name (lower case) → the text PostgreSQL stores for it. */
  readonly config: Readonly<Record<string, string>>;
  readonly comment: string | null;
}

export interface DiscoveredMembership {
  readonly role: string;
  readonly member: string;
  readonly admin: boolean;
  /** PostgreSQL 16+ per-membership options; null on older servers. */
  readonly inherit: boolean | null;
  readonly set: boolean | null;
  /** The member's own INHERIT attribute: the default of the membership's inherit option. */
  readonly memberInherits: boolean;
}

export interface DiscoveredDatabase {
  readonly name: string;
  readonly owner: string;
  readonly encoding: string;
  readonly connectionLimit: number;
  readonly comment: string | null;
}

export interface DiscoveredSchema {
  readonly database: string;
  readonly name: string;
  readonly owner: string;
  readonly comment: string | null;
}

/** One PostgresGrant's worth: one grantee, one privilege set, on objects of one type. */
export interface DiscoveredGrant {
  readonly database: string;
  readonly type: GrantObjectType;
  /** Schema of tables, sequences, functions and types. */
  readonly schema?: string;
  /** Schemas (type schema) or objects in `schema`; functions as `name(argtypes)`. Absent for a database. */
  readonly names?: readonly string[];
  /** Column-level privileges on every column listed, of every table in `names`. */
  readonly columns?: readonly string[];
  /** A role name, or PUBLIC. */
  readonly grantee: string;
  readonly privileges: readonly string[];
  readonly withGrantOption: boolean;
  /** `additive` only when one grantee holds some privileges with and some without grant option. */
  readonly mode: 'authoritative' | 'additive';
}

export interface DiscoveredDefaultPrivileges {
  readonly database: string;
  readonly owner: string;
  /** Absent: the whole database. */
  readonly schema?: string;
  readonly objectType: DefaultObjectType;
  readonly grantee: string;
  readonly privileges: readonly string[];
  readonly withGrantOption: boolean;
  readonly mode: 'authoritative' | 'additive';
}

export interface SkippedItem {
  /** e.g. `role`, `database`, `membership`, `privileges`. */
  readonly what: string;
  readonly name: string;
  readonly reason: string;
}
