import { createHash } from 'node:crypto';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import { API_VERSION, StewardError, type DesiredResource, type JsonValue } from '../core/index.js';
import {
  LIST_PARAMETERS,
  POSTGRES_DATABASE,
  POSTGRES_DEFAULT_PRIVILEGES,
  POSTGRES_GRANT,
  POSTGRES_INSTANCE,
  POSTGRES_ROLE,
  POSTGRES_ROLE_MEMBERSHIP,
  POSTGRES_SCHEMA,
  SECRET,
  isPublic,
  parameterItems,
  storedParameterValue,
  type PostgresInstanceSpec,
} from '../kinds/index.js';
import { loadManifests } from '../manifest/index.js';
import {
  connectInstance,
  discoverInstance,
  type DiscoveredDefaultPrivileges,
  type DiscoveredGrant,
  type DiscoveredRole,
  type Discovery,
  type SkippedItem,
} from '../providers/postgres/index.js';
import { needsInstanceSecrets, NO_INSTANCE_SECRETS, resolveInstanceSecrets } from './identities/instance-secrets.js';
import { loadProject, withStore, type ProjectOptions } from './project.js';

export interface ImportRequest {
  /** The PostgresInstance, declared in the project, to read. */
  readonly instance: string;
  /** Databases to import schemas, grants and default privileges of; unset: all but templates and `postgres`. */
  readonly databases?: readonly string[];
  /** Where to write; relative to the current directory. Unset: the project directory. */
  readonly out?: string;
  /** Overwrite files the import would write that already exist. */
  readonly force?: boolean;
  /** The time written in the files' header. */
  readonly now?: Date;
}

export interface ImportedFile {
  /** Absolute path. */
  readonly path: string;
  readonly kind: string;
  readonly resources: number;
}

export interface ImportReport {
  readonly instance: string;
  /** Absolute path of the directory written to. */
  readonly out: string;
  readonly files: readonly ImportedFile[];
  /** False when the out directory (or the project around it) already declares the instance. */
  readonly instanceWritten: boolean;
  readonly skipped: readonly SkippedItem[];
  readonly catalogQueries: number;
  readonly serverVersion: number;
}

/** One manifest document: what the loader reads back. */
export interface ManifestDocument {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string };
  readonly spec: Readonly<Record<string, JsonValue>>;
}

export interface ManifestFile {
  readonly file: string;
  readonly kind: string;
  readonly documents: readonly ManifestDocument[];
}

const NAME_MAX = 253;

/**
 * A valid resource name (`[A-Za-z0-9][A-Za-z0-9_.-]*`, at most 253) from readable parts; other
 * characters become `-`, and an over-long name keeps a hash of the whole so it stays distinct.
 */
export function resourceName(parts: readonly string[]): string {
  const joined = parts
    .map((p) => p.replace(/[^A-Za-z0-9_.-]+/g, '-'))
    .join('-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/-+$/, '');
  const base = joined === '' ? 'unnamed' : joined;
  if (base.length <= NAME_MAX) return base;
  const hash = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 8);
  return `${base.slice(0, NAME_MAX - hash.length - 1)}-${hash}`;
}

/** Hands out names once per kind, suffixing `-2`, `-3`, ... on a clash. */
function uniqueNames(): (base: string) => string {
  const used = new Set<string>();
  return (base) => {
    let name = base;
    for (let i = 2; used.has(name); i += 1) {
      const suffix = `-${i}`;
      name = `${base.slice(0, NAME_MAX - suffix.length)}${suffix}`;
    }
    used.add(name);
    return name;
  };
}

function document(kind: string, name: string, instance: string, spec: Record<string, JsonValue>): ManifestDocument {
  return { apiVersion: API_VERSION, kind, metadata: { name }, spec: { instance, ...spec } };
}

/** A list parameter is written as a list when that reads back to the exact stored text. */
function configValue(name: string, stored: string): JsonValue {
  if (!LIST_PARAMETERS.has(name)) return stored;
  const items = parameterItems(name, stored);
  return items.length > 0 && storedParameterValue(name, items) === stored ? [...items] : stored;
}

/** Only what differs from the kind's defaults (which are PostgreSQL's), so the file reads as intent. */
function roleSpec(role: DiscoveredRole): Record<string, JsonValue> {
  const spec: Record<string, JsonValue> = {};
  const flags = { login: false, superuser: false, createdb: false, createrole: false, inherit: true, replication: false, bypassrls: false } as const;
  for (const [flag, fallback] of Object.entries(flags) as [keyof typeof flags, boolean][]) {
    if (role[flag] !== fallback) spec[flag] = role[flag];
  }
  if (role.connectionLimit !== -1) spec['connectionLimit'] = role.connectionLimit;
  if (role.validUntil !== null) spec['validUntil'] = role.validUntil;
  const config = Object.entries(role.config);
  if (config.length > 0) spec['config'] = Object.fromEntries(config.map(([k, v]) => [k, configValue(k, v)]));
  if (role.comment !== null) spec['comment'] = role.comment;
  return spec;
}

function grantNameParts(grant: DiscoveredGrant): readonly string[] {
  const grantee = isPublic(grant.grantee) ? 'public' : grant.grantee;
  const names = grant.names ?? [];
  const single = names.length === 1 ? names[0] : undefined;
  const what =
    grant.type === 'database'
      ? ['database']
      : grant.type === 'schema'
        ? single !== undefined ? [single, 'schema'] : ['schemas']
        : [grant.schema ?? '', single ?? `${grant.type}s`, ...(grant.columns !== undefined ? ['columns'] : [])];
  return [grantee, grant.database, ...what, ...(grant.mode === 'additive' && grant.withGrantOption ? ['grantable'] : [])];
}

function grantSpec(grant: DiscoveredGrant): Record<string, JsonValue> {
  const on: Record<string, JsonValue> = { type: grant.type, database: grant.database };
  if (grant.schema !== undefined) on['schema'] = grant.schema;
  if (grant.names !== undefined) on['names'] = [...grant.names];
  const spec: Record<string, JsonValue> = { grantee: grant.grantee, privileges: [...grant.privileges], on };
  if (grant.columns !== undefined) spec['columns'] = [...grant.columns];
  if (grant.withGrantOption) spec['withGrantOption'] = true;
  spec['mode'] = grant.mode;
  return spec;
}

function defaultPrivilegesSpec(d: DiscoveredDefaultPrivileges): Record<string, JsonValue> {
  const spec: Record<string, JsonValue> = { database: d.database, owner: d.owner };
  if (d.schema !== undefined) spec['schema'] = d.schema;
  Object.assign(spec, { objectType: d.objectType, grantee: d.grantee, privileges: [...d.privileges] });
  if (d.withGrantOption) spec['withGrantOption'] = true;
  spec['mode'] = d.mode;
  return spec;
}

function defaultPrivilegesName(d: DiscoveredDefaultPrivileges): readonly string[] {
  const grantee = isPublic(d.grantee) ? 'public' : d.grantee;
  const grantable = d.mode === 'additive' && d.withGrantOption ? ['grantable'] : [];
  return [d.owner, d.database, d.schema ?? 'all-schemas', d.objectType, 'to', grantee, ...grantable];
}

function named<T>(kind: string, file: string, items: readonly T[], parts: (item: T) => readonly string[], spec: (item: T) => Record<string, JsonValue>, instance: string): ManifestFile {
  const take = uniqueNames();
  const documents = items.map((item) => document(kind, take(resourceName(parts(item))), instance, spec(item)));
  return { file, kind, documents };
}

/**
 * The manifests describing what was discovered, one file per kind. Pure. Roles and databases are
 * named by their PostgreSQL name; other kinds get readable names made unique within the kind.
 */
export function importManifests(discovery: Discovery, instance: string): readonly ManifestFile[] {
  return [
    { file: 'roles.yaml', kind: POSTGRES_ROLE, documents: discovery.roles.map((r) => document(POSTGRES_ROLE, r.name, instance, roleSpec(r))) },
    named(POSTGRES_ROLE_MEMBERSHIP, 'memberships.yaml', discovery.memberships, (m) => [m.member, 'in', m.role], (m) => {
      const spec: Record<string, JsonValue> = { role: m.role, member: m.member };
      if (m.admin) spec['admin'] = true;
      // Options equal to what PostgreSQL gives a new membership stay unset (unmanaged), as most manifests leave them.
      if (m.inherit !== null && m.inherit !== m.memberInherits) spec['inherit'] = m.inherit;
      if (m.set === false) spec['set'] = false;
      return spec;
    }, instance),
    {
      file: 'databases.yaml',
      kind: POSTGRES_DATABASE,
      documents: discovery.databases.map((d) => {
        const spec: Record<string, JsonValue> = { owner: d.owner, encoding: d.encoding };
        if (d.connectionLimit !== -1) spec['connectionLimit'] = d.connectionLimit;
        if (d.comment !== null) spec['comment'] = d.comment;
        return document(POSTGRES_DATABASE, d.name, instance, spec);
      }),
    },
    named(POSTGRES_SCHEMA, 'schemas.yaml', discovery.schemas, (s) => [s.database, s.name], (s) => {
      const spec: Record<string, JsonValue> = { database: s.database, schema: s.name, owner: s.owner };
      if (s.comment !== null) spec['comment'] = s.comment;
      return spec;
    }, instance),
    named(POSTGRES_GRANT, 'grants.yaml', discovery.grants, grantNameParts, grantSpec, instance),
    named(POSTGRES_DEFAULT_PRIVILEGES, 'default-privileges.yaml', discovery.defaultPrivileges, defaultPrivilegesName, defaultPrivilegesSpec, instance),
  ];
}

function versionText(version: number): string {
  return `${Math.floor(version / 10000)}.${version % 10000}`;
}

/** YAML text of one file: a header saying where it came from, then one document per resource. */
export function renderManifestFile(file: ManifestFile, header: readonly string[]): string {
  const head = header.map((line) => `# ${line}`).join('\n');
  if (file.documents.length === 0) return `${head}\n# Nothing of kind ${file.kind} was found.\n`;
  // lineWidth 0: long comments and names stay on one line, exactly as they read back.
  return `${head}\n${file.documents.map((d) => `---\n${stringify(d, { lineWidth: 0 })}`).join('')}`;
}

function instanceDocument(target: DesiredResource<PostgresInstanceSpec>, resources: readonly DesiredResource[]): ManifestFile {
  // The spec as declared: credentials stay references ({env} or {secretRef}), never values.
  const spec = JSON.parse(JSON.stringify(target.spec)) as Record<string, JsonValue>;
  const documents: ManifestDocument[] = [{ apiVersion: API_VERSION, kind: POSTGRES_INSTANCE, metadata: { name: target.name }, spec }];
  // A {secretRef} password needs its Secret declared next to it, or the directory does not load;
  // its value is not copied (set it there with `steward secret set`).
  const ref = target.spec.password;
  const secret = ref !== undefined && 'secretRef' in ref ? resources.find((r) => r.kind === SECRET && r.name === ref.secretRef) : undefined;
  if (secret !== undefined) {
    documents.push({ apiVersion: API_VERSION, kind: SECRET, metadata: { name: secret.name }, spec: JSON.parse(JSON.stringify(secret.spec)) as Record<string, JsonValue> });
  }
  return { file: 'instance.yaml', kind: POSTGRES_INSTANCE, documents };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

const isInside = (dir: string, parent: string): boolean => {
  const rel = relative(parent, dir);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** The out directory needs the instance unless the project's manifests (which include it) or its own already declare it. */
async function instanceDeclaredIn(out: string, projectDir: string, instance: string): Promise<boolean> {
  if (isInside(out, projectDir)) return true;
  if (!(await exists(out))) return false;
  const loaded = await loadManifests(out);
  return loaded.resources.some((r) => r.kind === POSTGRES_INSTANCE && r.name === instance);
}

function findInstance(resources: readonly DesiredResource[], name: string): DesiredResource<PostgresInstanceSpec> {
  const instances = resources.filter((r) => r.kind === POSTGRES_INSTANCE);
  const target = instances.find((r) => r.name === name);
  if (target) return target as DesiredResource<PostgresInstanceSpec>;
  const known = instances.map((r) => r.name).sort();
  throw new StewardError(
    'not-found',
    `no PostgresInstance named "${name}" is declared in the project${known.length > 0 ? ` (declared: ${known.join(', ')})` : '; declare one (host, port, user, password: {env: VAR}) first'}`,
  );
}

/**
 * Reads an existing PostgreSQL server and writes manifests for its roles, memberships, databases,
 * schemas, grants and default privileges, such that `plan` right after is empty. Connects through
 * the instance declared in the project; refuses to overwrite files unless `force`.
 */
export async function runImport(options: ProjectOptions, request: ImportRequest): Promise<ImportReport> {
  const project = await loadProject(options);
  const target = findInstance(project.resources, request.instance);
  const out = resolve(request.out ?? project.dir);
  const writeInstance = !(await instanceDeclaredIn(out, project.dir, request.instance));
  const fileNames = ['roles.yaml', 'memberships.yaml', 'databases.yaml', 'schemas.yaml', 'grants.yaml', 'default-privileges.yaml', ...(writeInstance ? ['instance.yaml'] : [])];
  if (request.force !== true) {
    const taken: string[] = [];
    for (const name of fileNames) if (await exists(join(out, name))) taken.push(name);
    if (taken.length > 0) {
      throw new StewardError('invalid-input', `${out} already has ${taken.join(', ')}; pass --force to overwrite, or choose another --out directory`);
    }
  }

  // A {secretRef} password is read from the store (and needs the key); an {env} one needs neither.
  const secrets = needsInstanceSecrets([target]) ? await withStore(options, (store) => resolveInstanceSecrets(store, [target], project.dir, options.env)) : NO_INSTANCE_SECRETS;
  const conn = await connectInstance(target, { maxConnections: 2, lockTimeoutMs: 10_000 }, options.env, secrets);
  let discovery: Discovery;
  try {
    discovery = await discoverInstance(conn, request.databases === undefined ? {} : { databases: request.databases });
  } finally {
    await conn.close();
  }

  const scope = request.databases === undefined ? 'all databases but templates and postgres' : `database ${request.databases.join(', ')}`;
  const header = [
    `Imported by \`steward import postgres\` from ${target.address} (PostgreSQL ${versionText(discovery.serverVersion)}, ${scope})`,
    `at ${(request.now ?? new Date()).toISOString()}. \`steward plan\` right after shows no changes; review before editing.`,
  ];
  const files = [...importManifests(discovery, target.name), ...(writeInstance ? [instanceDocument(target, project.resources)] : [])];
  await mkdir(out, { recursive: true });
  const written: ImportedFile[] = [];
  for (const file of files) {
    const path = join(out, file.file);
    await writeFile(path, renderManifestFile(file, header));
    written.push({ path, kind: file.kind, resources: file.documents.length });
  }
  return {
    instance: target.name,
    out,
    files: written,
    instanceWritten: writeInstance,
    skipped: discovery.skipped,
    catalogQueries: discovery.catalogQueries,
    serverVersion: discovery.serverVersion,
  };
}
