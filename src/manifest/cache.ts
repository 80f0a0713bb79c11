import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DesiredResource, FieldPath, KindDefinition, ResourceAddress, ResourceMetadata, SourceLocation } from '../core/index.js';
import type { DocumentOutcome } from './validate.js';
import { locate, locationKey, parseManifestText, type ParsedFile, type SourceDocument } from './yaml-source.js';

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
const FORMAT = 1;

/** Fields of a document outcome this cache knows how to store; an outcome with others is not cached. */
const KNOWN_FIELDS: ReadonlySet<string> = new Set(['document', 'diagnostics', 'declaration', 'dependsOn', 'spec', 'complete']);

type Position = readonly [line: number, column: number];

interface StoredDocument {
  readonly index: number;
  readonly address: string;
  readonly kind: string;
  readonly name: string;
  readonly source: Position;
  readonly nameLocation: Position;
  readonly dependsOn: readonly { readonly text: string; readonly path: FieldPath; readonly at: Position }[];
  readonly spec: unknown;
  readonly metadata: ResourceMetadata;
  readonly protect: boolean;
  /** Value locations of the spec's references, which resolving them asks for. */
  readonly locations: readonly (readonly [key: string, line: number, column: number])[];
}

interface Header {
  readonly format: number;
  readonly key: string;
  /** SHA-256 of the payload text (the line after the header). */
  readonly digest: string;
}

export interface ManifestCache {
  /** The file's outcomes when a valid entry matches `text`; otherwise undefined. */
  read(absolute: string, file: string, text: string): Promise<readonly DocumentOutcome[] | undefined>;
  /** Stores a file whose parse and validation reported nothing; ignored when it cannot be stored. */
  write(absolute: string, file: string, text: string, outcomes: readonly DocumentOutcome[]): Promise<void>;
  /**
   * The whole project's resources, resolved, when the last load of exactly these files (same
   * names, same texts, same order) reported nothing at all; otherwise undefined.
   */
  readProject(files: readonly ProjectFile[]): Promise<readonly DesiredResource[] | undefined>;
  /** Stores a project whose load reported nothing; ignored when it cannot be stored. */
  writeProject(files: readonly ProjectFile[], resources: readonly DesiredResource[]): Promise<void>;
}

/** One file of a project as loaded: where it is, the name diagnostics use, and its text. */
export interface ProjectFile {
  readonly absolute: string;
  readonly file: string;
  readonly text: string;
}

const isLocation = (v: unknown): v is SourceLocation =>
  typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>)['file'] === 'string' && Number.isSafeInteger((v as Record<string, unknown>)['line']);

/** Enough of a resource's shape to trust a stored one that passed its digest. */
function isResource(v: unknown, kinds: ReadonlyMap<string, KindDefinition>): v is DesiredResource {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r['address'] === 'string' &&
    typeof r['kind'] === 'string' &&
    kinds.has(r['kind']) &&
    typeof r['name'] === 'string' &&
    typeof r['metadata'] === 'object' &&
    r['metadata'] !== null &&
    'spec' in r &&
    Array.isArray(r['dependsOn']) &&
    (r['target'] === undefined || typeof r['target'] === 'string') &&
    typeof r['protect'] === 'boolean' &&
    isLocation(r['source'])
  );
}

const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

let codeHash: Promise<string | undefined> | undefined;

/** A hash of the code that decides what a manifest means; undefined (no caching) when it cannot be read. */
function codeFingerprint(): Promise<string | undefined> {
  codeHash ??= (async () => {
    try {
      const here = path.dirname(fileURLToPath(import.meta.url));
      const hash = createHash('sha256').update(`steward manifest cache ${FORMAT}\n`);
      for (const dir of [here, path.resolve(here, '../kinds'), path.resolve(here, '../core')]) {
        const names = (await readdir(dir)).filter((n) => /\.(js|ts)$/.test(n) && !/\.test\.|\.d\.ts$/.test(n)).sort();
        if (names.length === 0) return undefined;
        for (const name of names) {
          hash.update(`${path.basename(dir)}/${name}\n`);
          hash.update(await readFile(path.join(dir, name)));
        }
      }
      return hash.digest('hex');
    } catch {
      return undefined;
    }
  })();
  return codeHash;
}

function isPlainJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isPlainJson);
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  return Object.values(value).every((v) => v === undefined || isPlainJson(v));
}

const position = (location: SourceLocation): Position => [location.line, location.column];

/** What is stored for one outcome, or undefined when it is not something this cache can hold. */
function store(outcome: DocumentOutcome): StoredDocument | undefined {
  const { declaration, dependsOn, spec, complete } = outcome;
  if (outcome.diagnostics.length > 0 || declaration === undefined || dependsOn === undefined || spec === undefined || complete === undefined) return undefined;
  if (Object.keys(outcome).some((k) => !KNOWN_FIELDS.has(k))) return undefined;
  if (!isPlainJson(spec.value) || !isPlainJson(complete.metadata)) return undefined;
  const locations = spec.definition.references(spec.value).map((r): readonly [string, number, number] => {
    const at = locate(outcome.document, r.path, 'value');
    return [locationKey(r.path, 'value'), at.line, at.column];
  });
  return {
    index: outcome.document.index,
    address: declaration.address,
    kind: declaration.kind,
    name: declaration.name,
    source: position(declaration.source),
    nameLocation: position(declaration.nameLocation),
    dependsOn: dependsOn.map((d) => ({ text: d.text, path: d.path, at: position(d.location) })),
    spec: spec.value,
    metadata: complete.metadata,
    protect: complete.protect,
    locations,
  };
}

const isPosition = (v: unknown): v is Position => Array.isArray(v) && v.length === 2 && v.every((n) => Number.isSafeInteger(n));

function isStored(v: unknown): v is StoredDocument {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as Record<string, unknown>;
  return (
    Number.isSafeInteger(d['index']) &&
    typeof d['address'] === 'string' &&
    typeof d['kind'] === 'string' &&
    typeof d['name'] === 'string' &&
    isPosition(d['source']) &&
    isPosition(d['nameLocation']) &&
    Array.isArray(d['dependsOn']) &&
    d['dependsOn'].every((e: unknown) => typeof e === 'object' && e !== null && typeof (e as Record<string, unknown>)['text'] === 'string' && Array.isArray((e as Record<string, unknown>)['path']) && isPosition((e as Record<string, unknown>)['at'])) &&
    typeof d['metadata'] === 'object' &&
    d['metadata'] !== null &&
    typeof d['protect'] === 'boolean' &&
    Array.isArray(d['locations']) &&
    d['locations'].every((l: unknown) => Array.isArray(l) && l.length === 3 && typeof l[0] === 'string' && Number.isSafeInteger(l[1]) && Number.isSafeInteger(l[2]))
  );
}

/**
 * The cached file's documents. Their YAML is parsed again only if something asks for a location
 * that was not stored (a problem found later, such as a duplicate name in another file).
 */
function restore(file: string, text: string, stored: readonly StoredDocument[], kinds: ReadonlyMap<string, KindDefinition>): readonly DocumentOutcome[] | undefined {
  let parsed: ParsedFile | undefined;
  const parsedDocument = (index: number): SourceDocument => {
    parsed ??= parseManifestText(file, text);
    const found = parsed.documents.find((d) => d.index === index);
    if (found === undefined) throw new Error(`${file}: document ${index} is no longer there`);
    return found;
  };
  const at = ([line, column]: Position): SourceLocation => ({ file, line, column });
  const outcomes: DocumentOutcome[] = [];
  for (const d of stored) {
    const definition = kinds.get(d.kind);
    if (definition === undefined) return undefined;
    const knownLocations = new Map(d.locations.map(([key, line, column]) => [key, { file, line, column }]));
    const document: SourceDocument = {
      file,
      index: d.index,
      broken: false,
      knownLocations,
      get document() {
        return parsedDocument(d.index).document;
      },
      get lineCounter() {
        return parsedDocument(d.index).lineCounter;
      },
    };
    outcomes.push({
      document,
      diagnostics: [],
      declaration: { address: d.address as ResourceAddress, kind: d.kind, name: d.name, source: at(d.source), nameLocation: at(d.nameLocation) },
      dependsOn: d.dependsOn.map((e) => ({ text: e.text, path: e.path, location: at(e.at) })),
      spec: { definition, value: d.spec },
      complete: { metadata: d.metadata, protect: d.protect },
    });
  }
  return outcomes;
}

async function writeAtomically(target: string, content: string): Promise<void> {
  const temporary = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, content);
    await rename(temporary, target);
  } catch {
    await unlink(temporary).catch(() => undefined);
  }
}

/**
 * Opens the cache kept in `dir` (created on first write, with a `.gitignore` so it is never
 * committed). Returns undefined when Steward's own code cannot be fingerprinted: then nothing is cached.
 */
export async function openManifestCache(dir: string, kinds: ReadonlyMap<string, KindDefinition>): Promise<ManifestCache | undefined> {
  const code = await codeFingerprint();
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
  const readEntry = async (target: string, key: string): Promise<unknown> => {
    let content: string;
    try {
      content = await readFile(target, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const newline = content.indexOf('\n');
      if (newline < 0) return undefined;
      const header = JSON.parse(content.slice(0, newline)) as Partial<Header>;
      if (header.format !== FORMAT || header.key !== key) return undefined;
      const payload = content.slice(newline + 1);
      if (header.digest !== sha256(payload)) return undefined;
      return JSON.parse(payload) as unknown;
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
    await writeAtomically(target, `${JSON.stringify(header)}\n${payload}`);
  };
  // One entry for the whole project, replaced whenever any file, or the set of files, changes.
  const projectPath = path.join(dir, 'project.json');
  const projectKey = (files: readonly ProjectFile[]): string =>
    sha256(`${code}\n${kindNames}\n${files.map((f) => `${f.absolute}\u0000${f.file}\u0000${textHash(f.text)}`).join('\n')}`);
  return {
    async read(absolute, file, text) {
      const stored = await readEntry(entryPath(absolute), keyOf(file, text));
      if (!Array.isArray(stored) || !stored.every(isStored)) return undefined;
      try {
        return restore(file, text, stored, kinds);
      } catch {
        return undefined;
      }
    },

    async readProject(files) {
      const stored = await readEntry(projectPath, projectKey(files));
      return Array.isArray(stored) && stored.every((r) => isResource(r, kinds)) ? stored : undefined;
    },

    async writeProject(files, resources) {
      if (!resources.every((r) => isPlainJson(r.spec) && isPlainJson(r.metadata))) return;
      await writeEntry(projectPath, projectKey(files), JSON.stringify(resources));
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
