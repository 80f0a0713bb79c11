import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomically } from '../core/atomic-file.js';
import { addressOf, type DesiredResource, type FieldPath, type KindDefinition, type ResourceAddress, type ResourceMetadata, type SourceLocation } from '../core/index.js';
import { packageRoot } from './package-root.js';
import type { DocumentOutcome } from './validate.js';
import { documentLocation, locate, locationOf, originOf, type LocationOrigin } from './locations.js';
import { DeferredDocument, isMapping, positionedOnce, type ParsedFile } from './yaml-source.js';

/**
 * A cache of parsed and validated manifest files, so an unchanged project is not parsed again:
 * YAML parsing is most of the cost of loading thousands of small documents. Besides one entry per
 * file, one entry holds the whole project's resolved resources, used when every file is as it
 * was: resolving references and building the resources again cost as much as reading the files.
 *
 * Contract:
 * - An entry is used only when its key matches: the hash of the file's exact text, the name the
 *   file is shown under, the kinds available and the code that parses and validates (the source
 *   files of `manifest`, `kinds` and `core`, so any change to a schema or a default invalidates it).
 * - Only files that produced no diagnostic at all (not even a warning) are written, so every
 *   problem is reported by the real parser and validator, with its exact location; the project
 *   entry likewise only after a load that reported nothing, keyed by every file's name and text.
 * - A missing, unreadable, corrupt (its payload digest differs) or malformed entry is a miss and
 *   is never trusted; writing is atomic (temporary file and rename) and its failures are ignored.
 */

/** Bump when the stored shape changes. */
const FORMAT = 3;

/** Fields of a document outcome this cache knows how to store; an outcome with others is not cached. */
const KNOWN_FIELDS: ReadonlySet<string> = new Set(['document', 'diagnostics', 'declaration', 'dependsOn', 'spec', 'complete']);

/**
 * One document, without positions: a restored document's locations are worked out from the
 * file's text if something asks for one (see `deferredDocument`), as for a freshly read file.
 */
interface StoredDocument {
  readonly index: number;
  readonly address: string;
  readonly kind: string;
  readonly name: string;
  readonly dependsOn: readonly { readonly text: string; readonly path: FieldPath }[];
  readonly spec: unknown;
  readonly metadata: ResourceMetadata;
  readonly protect: boolean;
}

/**
 * Where in its file a stored resource was declared: the index of its document (the usual case),
 * a field of a document, or a fixed position.
 */
type StoredWhere = number | { readonly origin: LocationOrigin } | { readonly line: number; readonly column: number };

/**
 * A resource as the project entry stores it: a row, not an object, and without what it repeats.
 * Its address is its kind and name, its file an index into the entry's list of files, and its
 * metadata is left out when it is only the name with no labels or annotations. For the
 * `bench:postgres` project (11,100 resources) the entry is 3.8 instead of 6.5 MB, and a load from
 * it took a median of 158 instead of 200 ms (15 fresh processes each, alternating).
 */
type StoredResource = readonly [
  kind: string,
  name: string,
  spec: unknown,
  dependsOn: readonly ResourceAddress[],
  target: ResourceAddress | null,
  protect: boolean,
  file: number,
  where: StoredWhere,
  metadata?: ResourceMetadata,
];

/**
 * The labels and annotations of every restored resource that has none. One object for all, so
 * 22,200 fewer for the garbage collector to carry in a large project; frozen, as it is shared.
 */
const NO_ENTRIES: Readonly<Record<string, string>> = Object.freeze({});

/** The project entry: the files its resources were declared in, and the resources. */
interface StoredProject {
  readonly files: readonly string[];
  readonly resources: readonly StoredResource[];
}

interface Header {
  readonly format: number;
  readonly key: string;
  /** SHA-256 of the payload text (the line after the header). */
  readonly digest: string;
}

export interface ManifestCache {
  /** The file's outcomes when a valid entry matches `text`; otherwise undefined. */
  read(absolute: string, file: string, text: string): readonly DocumentOutcome[] | undefined;
  /** Stores a file whose parse and validation reported nothing; ignored when it cannot be stored. */
  write(absolute: string, file: string, text: string, outcomes: readonly DocumentOutcome[]): Promise<void>;
  /**
   * The whole project's resources, resolved, when the last load of exactly these files (same
   * names, same texts, same order) reported nothing at all; otherwise undefined.
   */
  readProject(files: readonly ProjectFile[]): readonly DesiredResource[] | undefined;
  /** Stores a project whose load reported nothing; ignored when it cannot be stored. */
  writeProject(files: readonly ProjectFile[], resources: readonly DesiredResource[]): Promise<void>;
}

/** One file of a project as loaded: where it is, the name diagnostics use, and its text. */
export interface ProjectFile {
  readonly absolute: string;
  readonly file: string;
  readonly text: string;
}

const isOrigin = (v: unknown): v is LocationOrigin => {
  if (!isMapping(v) || !Number.isSafeInteger(v['document'])) return false;
  const field = v['field'];
  if (field === undefined) return true;
  if (!isMapping(field)) return false;
  return Array.isArray(field['path']) && (field['at'] === 'key' || field['at'] === 'value');
};

const isWhere = (v: unknown): v is StoredWhere =>
  Number.isSafeInteger(v) ||
  (isMapping(v) && (v['origin'] !== undefined ? isOrigin(v['origin']) : Number.isSafeInteger(v['line']) && Number.isSafeInteger(v['column'])));

const isMetadata = (v: unknown): v is ResourceMetadata => isMapping(v) && typeof v['name'] === 'string' && isMapping(v['labels']) && isMapping(v['annotations']);

/** Enough of a stored project's shape to trust one that passed its digest. */
function isProject(v: unknown, kinds: ReadonlyMap<string, KindDefinition>): v is StoredProject {
  if (!isMapping(v) || !Array.isArray(v['files']) || !Array.isArray(v['resources'])) return false;
  const files = v['files'] as unknown[];
  if (!files.every((f) => typeof f === 'string')) return false;
  return (v['resources'] as unknown[]).every(
    (r) =>
      Array.isArray(r) &&
      (r.length === 8 || (r.length === 9 && isMetadata(r[8]))) &&
      typeof r[0] === 'string' &&
      kinds.has(r[0]) &&
      typeof r[1] === 'string' &&
      r[2] !== undefined &&
      Array.isArray(r[3]) &&
      (r[4] === null || typeof r[4] === 'string') &&
      typeof r[5] === 'boolean' &&
      Number.isSafeInteger(r[6]) &&
      (r[6] as number) >= 0 &&
      (r[6] as number) < files.length &&
      isWhere(r[7]),
  );
}

/** Whether `metadata` says nothing but the resource's name, so the entry need not store it. */
const onlyName = (metadata: ResourceMetadata, name: string): boolean =>
  metadata.name === name && Object.keys(metadata).length === 3 && Object.keys(metadata.labels).length === 0 && Object.keys(metadata.annotations).length === 0;

/** The project as the entry stores it. */
function storedProject(resources: readonly DesiredResource[]): StoredProject {
  const files: string[] = [];
  const fileIndex = new Map<string, number>();
  const stored = resources.map((r): StoredResource => {
    const { file } = r.source;
    let index = fileIndex.get(file);
    if (index === undefined) fileIndex.set(file, (index = files.push(file) - 1));
    // Locations are kept as where they point, not as lines, so writing does not parse the files again.
    const origin = originOf(r.source);
    const where: StoredWhere =
      origin === undefined ? { line: r.source.line, column: r.source.column } : origin.field === undefined ? origin.document : { origin };
    const metadata = onlyName(r.metadata, r.name) ? undefined : r.metadata;
    const row = [r.kind, r.name, r.spec, r.dependsOn, r.target ?? null, r.protect, index, where] as const;
    return metadata === undefined ? row : [...row, metadata];
  });
  return { files, resources: stored };
}

/**
 * The stored resources with their locations found again, when asked, from the files' texts
 * (one positional parse per file at most); undefined when a location names a file not loaded.
 */
function restoreProject(files: readonly ProjectFile[], stored: StoredProject): readonly DesiredResource[] | undefined {
  const texts = new Map(files.map((f) => [f.file, f.text]));
  const parses = new Map<string, () => ParsedFile>();
  const resources: DesiredResource[] = [];
  // By index, and each field by index: a for-of or a destructuring goes through an iterator, nine
  // times per row here, and a project has thousands of rows.
  for (let i = 0; i < stored.resources.length; i++) {
    const row = stored.resources[i]!;
    const kind = row[0];
    const name = row[1];
    const spec = row[2];
    const dependsOn = row[3];
    const target = row[4];
    const protect = row[5];
    const fileIndex = row[6];
    const where = row[7];
    const metadata = row[8];
    const file = stored.files[fileIndex] as string;
    let source: SourceLocation;
    if (typeof where === 'object' && 'line' in where) {
      source = { file, line: where.line, column: where.column };
    } else {
      const text = texts.get(file);
      if (text === undefined) return undefined;
      let positioned = parses.get(file);
      if (positioned === undefined) parses.set(file, (positioned = positionedOnce(file, text)));
      const document = new DeferredDocument(file, typeof where === 'number' ? where : where.origin.document, undefined, positioned);
      source = typeof where === 'number' ? documentLocation(document) : locationOf(document, where.origin);
    }
    const address = addressOf(kind, name);
    const meta = metadata ?? { name, labels: NO_ENTRIES, annotations: NO_ENTRIES };
    resources.push(
      target === null
        ? { address, kind, name, metadata: meta, spec, dependsOn, protect, source }
        : { address, kind, name, metadata: meta, spec, dependsOn, target, protect, source },
    );
  }
  return resources;
}

const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

/** Null until computed; undefined when the code cannot be read. */
let codeHash: string | undefined | null = null;

/**
 * Where the code that decides what a manifest means is kept as files: the TypeScript sources when
 * they are what runs (the tests), else their compiled copies in `dist/src`, which the same build
 * bundles (see `scripts/bundle.ts`). Undefined when there are none.
 */
function codeDirectory(): string | undefined {
  const here = fileURLToPath(import.meta.url);
  const root = packageRoot(import.meta.url);
  if (root === undefined) return undefined;
  const sources = path.join(root, 'src');
  return here.startsWith(sources + path.sep) ? sources : path.join(root, 'dist', 'src');
}

/** A hash of the code that decides what a manifest means; undefined (no caching) when it cannot be read. */
function codeFingerprint(): string | undefined {
  if (codeHash === null) codeHash = readCodeFingerprint();
  return codeHash;
}

function readCodeFingerprint(): string | undefined {
  try {
    const code = codeDirectory();
    if (code === undefined) return undefined;
    const hash = createHash('sha256').update(`steward manifest cache ${FORMAT}\n`);
    for (const dir of ['manifest', 'kinds', 'core'].map((name) => path.join(code, name))) {
      const names = readdirSync(dir)
        .filter((n) => /\.(js|ts)$/.test(n) && !/\.test\.|\.d\.ts$/.test(n))
        .sort();
      if (names.length === 0) return undefined;
      for (const name of names) {
        hash.update(`${path.basename(dir)}/${name}\n`);
        hash.update(readFileSync(path.join(dir, name)));
      }
    }
    return hash.digest('hex');
  } catch {
    return undefined;
  }
}

function isPlainJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isPlainJson);
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  // A loop rather than Object.values: this runs over every spec of a project, twice.
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined && !isPlainJson(v)) return false;
  }
  return true;
}

/** What is stored for one outcome, or undefined when it is not something this cache can hold. */
function store(outcome: DocumentOutcome): StoredDocument | undefined {
  const { declaration, dependsOn, spec, complete } = outcome;
  if (outcome.diagnostics.length > 0 || declaration === undefined || dependsOn === undefined || spec === undefined || complete === undefined) return undefined;
  if (Object.keys(outcome).some((k) => !KNOWN_FIELDS.has(k))) return undefined;
  if (!isPlainJson(spec.value) || !isPlainJson(complete.metadata)) return undefined;
  return {
    index: outcome.document.index,
    address: declaration.address,
    kind: declaration.kind,
    name: declaration.name,
    dependsOn: dependsOn.map((d) => ({ text: d.text, path: d.path })),
    spec: spec.value,
    metadata: complete.metadata,
    protect: complete.protect,
  };
}

function isStored(v: unknown): v is StoredDocument {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as Record<string, unknown>;
  return (
    Number.isSafeInteger(d['index']) &&
    typeof d['address'] === 'string' &&
    typeof d['kind'] === 'string' &&
    typeof d['name'] === 'string' &&
    Array.isArray(d['dependsOn']) &&
    d['dependsOn'].every((e: unknown) => typeof e === 'object' && e !== null && typeof (e as Record<string, unknown>)['text'] === 'string' && Array.isArray((e as Record<string, unknown>)['path'])) &&
    typeof d['metadata'] === 'object' &&
    d['metadata'] !== null &&
    typeof d['protect'] === 'boolean'
  );
}

/**
 * The cached file's documents. Their YAML is parsed again (with positions) only if something
 * asks for a location: a problem found later, such as a duplicate name in another file.
 */
function restore(file: string, text: string, stored: readonly StoredDocument[], kinds: ReadonlyMap<string, KindDefinition>): readonly DocumentOutcome[] | undefined {
  const positioned = positionedOnce(file, text);
  const outcomes: DocumentOutcome[] = [];
  for (const d of stored) {
    const definition = kinds.get(d.kind);
    if (definition === undefined) return undefined;
    const document = new DeferredDocument(file, d.index, undefined, positioned);
    outcomes.push({
      document,
      diagnostics: [],
      declaration: {
        address: d.address as ResourceAddress,
        kind: d.kind,
        name: d.name,
        source: documentLocation(document),
        nameLocation: locate(document, ['metadata', 'name'], 'value'),
      },
      dependsOn: d.dependsOn.map((e) => ({ text: e.text, path: e.path, location: locate(document, e.path, 'value') })),
      spec: { definition, value: d.spec },
      complete: { metadata: d.metadata, protect: d.protect },
    });
  }
  return outcomes;
}

/**
 * Opens the cache kept in `dir` (created on first write, with a `.gitignore` so it is never
 * committed). Returns undefined when Steward's own code cannot be fingerprinted: then nothing is
 * cached. Its reads are synchronous, as the load's others (see `loadManifests`); its writes are not.
 */
export function openManifestCache(dir: string, kinds: ReadonlyMap<string, KindDefinition>): ManifestCache | undefined {
  const code = codeFingerprint();
  if (code === undefined) return undefined;
  const kindNames = [...kinds.keys()].sort().join(',');
  // A load asks for each file's text hash for the project's key and again for the file's own.
  const textHashes = new Map<string, string>();
  const textHash = (text: string): string => {
    let hash = textHashes.get(text);
    if (hash === undefined) textHashes.set(text, (hash = sha256(text)));
    return hash;
  };
  const keyOf = (file: string, text: string): string => sha256(`${code}\n${kindNames}\n${file}\n${textHash(text)}`);
  // One entry per manifest file, replaced when the file changes.
  const entryPath = (absolute: string): string => path.join(dir, `${sha256(absolute)}.json`);
  let prepared: Promise<void> | undefined;
  const prepare = (): Promise<void> =>
    (prepared ??= (async () => {
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, '.gitignore'), '*\n', { flag: 'wx' }).catch(() => undefined);
    })());
  /** The payload of the entry at `target` when its header has this key and its digest matches. */
  const readEntry = (target: string, key: string): unknown => {
    let content: Buffer;
    try {
      content = readFileSync(target);
    } catch {
      return undefined;
    }
    try {
      const newline = content.indexOf(0x0a);
      if (newline < 0) return undefined;
      const header = JSON.parse(content.toString('utf8', 0, newline)) as Partial<Header>;
      if (header.format !== FORMAT || header.key !== key) return undefined;
      // The digest is of the payload's bytes, hashed as read: the project's entry is megabytes.
      const payload = content.subarray(newline + 1);
      if (header.digest !== sha256(payload)) return undefined;
      return JSON.parse(payload.toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
  };
  const writeEntry = async (target: string, key: string, payload: string): Promise<void> => {
    const header: Header = { format: FORMAT, key, digest: sha256(payload) };
    try {
      await prepare();
    } catch {
      return;
    }
    await writeFileAtomically(target, `${JSON.stringify(header)}\n${payload}`);
  };
  // One entry for the whole project, replaced whenever any file, or the set of files, changes.
  const projectPath = path.join(dir, 'project.json');
  const projectKey = (files: readonly ProjectFile[]): string =>
    sha256(`${code}\n${kindNames}\n${files.map((f) => `${f.absolute}\u0000${f.file}\u0000${textHash(f.text)}`).join('\n')}`);
  return {
    read(absolute, file, text) {
      const stored = readEntry(entryPath(absolute), keyOf(file, text));
      if (!Array.isArray(stored) || !stored.every(isStored)) return undefined;
      try {
        return restore(file, text, stored, kinds);
      } catch {
        return undefined;
      }
    },

    readProject(files) {
      const stored = readEntry(projectPath, projectKey(files));
      return isProject(stored, kinds) ? restoreProject(files, stored) : undefined;
    },

    async writeProject(files, resources) {
      if (!resources.every((r) => isPlainJson(r.spec) && isPlainJson(r.metadata))) return;
      await writeEntry(projectPath, projectKey(files), JSON.stringify(storedProject(resources)));
    },

    async write(absolute, file, text, outcomes) {
      const stored: StoredDocument[] = [];
      for (const outcome of outcomes) {
        const entry = store(outcome);
        if (entry === undefined) return;
        stored.push(entry);
      }
      await writeEntry(entryPath(absolute), keyOf(file, text), JSON.stringify(stored));
    },
  };
}
