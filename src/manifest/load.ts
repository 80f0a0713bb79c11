import { readFile } from 'node:fs/promises';
import { dedupeDiagnostics, sortDiagnostics, type DesiredResource, type Diagnostic, type KindDefinition } from '../core/index.js';
import { KINDS } from '../kinds/index.js';
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
}

export interface ManifestText {
  /** The name diagnostics use for this file. */
  readonly file: string;
  readonly text: string;
}

function finish(resources: readonly DesiredResource[], diagnostics: readonly Diagnostic[], files: readonly string[]): LoadResult {
  return { resources, diagnostics: sortDiagnostics(dedupeDiagnostics(diagnostics)), files };
}

/** Parses and validates texts already read; never throws for bad input, which becomes diagnostics. */
export function loadManifestTexts(files: readonly ManifestText[], options: LoadOptions = {}): LoadResult {
  const kinds = options.kinds ?? KINDS;
  const diagnostics: Diagnostic[] = [];
  const outcomes: DocumentOutcome[] = [];
  for (const { file, text } of files) {
    const parsed = parseManifestText(file, text);
    diagnostics.push(...parsed.diagnostics);
    for (const document of parsed.documents) {
      const outcome = validateDocument(document, kinds);
      diagnostics.push(...outcome.diagnostics);
      outcomes.push(outcome);
    }
  }
  const resolved = resolveManifests(outcomes, kinds);
  diagnostics.push(...resolved.diagnostics);
  return finish(resolved.resources, diagnostics, files.map((f) => f.file));
}

/**
 * Loads every `*.yaml` / `*.yml` under `dir` (recursively, in sorted order, skipping hidden
 * directories and `node_modules`). A missing directory or an unreadable file is an `io`
 * diagnostic, not an exception.
 */
export async function loadManifests(dir: string, options: LoadOptions = {}): Promise<LoadResult> {
  const found = await findManifestFiles(dir);
  const texts: ManifestText[] = [];
  const diagnostics: Diagnostic[] = [...found.diagnostics];
  for (const absolute of found.files) {
    const file = displayPath(absolute);
    try {
      texts.push({ file, text: await readFile(absolute, 'utf8') });
    } catch (error) {
      diagnostics.push(ioDiagnostic(`Cannot read ${file}.`, 'Check that the file exists and is readable.', { cause: error, file }));
    }
  }
  const loaded = loadManifestTexts(texts, options);
  return finish(loaded.resources, [...diagnostics, ...loaded.diagnostics], loaded.files);
}
