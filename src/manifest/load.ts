import { readFileSync } from 'node:fs';
import { dedupeDiagnostics, sortDiagnostics, type DesiredResource, type Diagnostic, type KindDefinition } from '../core/index.js';
import { KINDS } from '../kinds/index.js';
import { openManifestCache, type ProjectFile } from './cache.js';
import { displayPath, findManifestFiles, ioDiagnostic } from './files.js';
import { resolveManifests } from './references.js';
import { validateDocument, type DocumentOutcome } from './validate.js';
import { parseManifestText } from './yaml-source.js';

export interface LoadResult {
  /** Complete only when `diagnostics` holds no error; otherwise the resources that validated. */
  readonly resources: readonly DesiredResource[];
  /** Sorted by file, line and column; exact repeats removed. */
  readonly diagnostics: readonly Diagnostic[];
  /** Files read, as displayed in diagnostics. */
  readonly files: readonly string[];
}

export interface LoadOptions {
  /** The kinds manifests may declare; defaults to every built-in kind. */
  readonly kinds?: ReadonlyMap<string, KindDefinition>;
  /**
   * Where to keep parsed and validated files between runs (see `cache.ts`), e.g.
   * `<project>/.steward/cache/manifests`; absent means no cache. Only `loadManifests` uses it.
   */
  readonly cacheDir?: string;
}

export interface ManifestText {
  /** The name diagnostics use for this file. */
  readonly file: string;
  readonly text: string;
}

function finish(resources: readonly DesiredResource[], diagnostics: readonly Diagnostic[], files: readonly string[]): LoadResult {
  return { resources, diagnostics: sortDiagnostics(dedupeDiagnostics(diagnostics)), files };
}

interface FileOutcomes {
  readonly diagnostics: readonly Diagnostic[];
  readonly outcomes: readonly DocumentOutcome[];
}

/** Parses and validates one file on its own (what does not need the other files). */
function validateFile(file: string, text: string, kinds: ReadonlyMap<string, KindDefinition>): FileOutcomes {
  const parsed = parseManifestText(file, text);
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  const outcomes: DocumentOutcome[] = [];
  for (const document of parsed.documents) {
    const outcome = validateDocument(document, kinds);
    diagnostics.push(...outcome.diagnostics);
    outcomes.push(outcome);
  }
  return { diagnostics, outcomes };
}

function resolveFiles(perFile: readonly FileOutcomes[], kinds: ReadonlyMap<string, KindDefinition>, files: readonly string[]): LoadResult {
  const diagnostics: Diagnostic[] = perFile.flatMap((f) => f.diagnostics);
  const resolved = resolveManifests(
    perFile.flatMap((f) => f.outcomes),
    kinds,
  );
  diagnostics.push(...resolved.diagnostics);
  return finish(resolved.resources, diagnostics, files);
}

/** Parses and validates texts already read; never throws for bad input, which becomes diagnostics. */
export function loadManifestTexts(files: readonly ManifestText[], options: LoadOptions = {}): LoadResult {
  const kinds = options.kinds ?? KINDS;
  return resolveFiles(
    files.map(({ file, text }) => validateFile(file, text, kinds)),
    kinds,
    files.map((f) => f.file),
  );
}

/**
 * Loads every `*.yaml` / `*.yml` under `dir` (recursively, in sorted order, skipping hidden
 * directories and `node_modules`). A missing directory or an unreadable file is an `io`
 * diagnostic, not an exception.
 *
 * Everything it reads (the files, Steward's code for the cache's key, the cache's entries) is read
 * synchronously: a command opens its state store at the same time, and a new embedded store is
 * made by copying hundreds of files on the four threads Node runs asynchronous file calls on. Each
 * asynchronous read then waited behind all of them: 0.1-0.3 s before a cold apply could start
 * validating, where reading everything takes about 20 ms. Only the cache's writes are asynchronous.
 */
export async function loadManifests(dir: string, options: LoadOptions = {}): Promise<LoadResult> {
  const kinds = options.kinds ?? KINDS;
  const found = findManifestFiles(dir);
  const cache = options.cacheDir === undefined ? undefined : openManifestCache(options.cacheDir, kinds);
  const diagnostics: Diagnostic[] = [...found.diagnostics];
  const read: ProjectFile[] = [];
  for (const absolute of found.files) {
    const file = displayPath(absolute);
    try {
      read.push({ absolute, file, text: readFileSync(absolute, 'utf8') });
    } catch (error) {
      diagnostics.push(ioDiagnostic(`Cannot read ${file}.`, 'Check that the file exists and is readable.', { cause: error, file }));
    }
  }
  const files = read.map((f) => f.file);
  // The same files as a load that reported nothing: its resources, without validating or resolving again.
  const whole = diagnostics.length === 0 ? cache?.readProject(read) : undefined;
  if (whole !== undefined) return finish(whole, [], files);

  const perFile: FileOutcomes[] = [];
  const writes: Promise<void>[] = [];
  for (const { absolute, file, text } of read) {
    const cached = cache?.read(absolute, file, text);
    if (cached !== undefined) {
      perFile.push({ diagnostics: [], outcomes: cached });
      continue;
    }
    const validated = validateFile(file, text, kinds);
    perFile.push(validated);
    // Only a file that reported nothing is cached: a problem is always found again, and located.
    if (cache !== undefined && validated.diagnostics.length === 0) writes.push(cache.write(absolute, file, text, validated.outcomes));
  }
  const loaded = resolveFiles(perFile, kinds, files);
  const all = [...diagnostics, ...loaded.diagnostics];
  if (cache !== undefined && all.length === 0) writes.push(cache.writeProject(read, loaded.resources));
  await Promise.all(writes);
  return finish(loaded.resources, all, loaded.files);
}
