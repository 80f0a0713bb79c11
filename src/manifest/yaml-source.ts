import { isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type YAMLError } from 'yaml';
import type { Diagnostic, FieldPath, SourceLocation } from '../core/index.js';

/** One YAML document of a manifest file, with what is needed to point back into the text. */
export interface SourceDocument {
  readonly file: string;
  /** 0-based position of the document in its file. */
  readonly index: number;
  readonly document: Document.Parsed;
  readonly lineCounter: LineCounter;
  /** The parser reported errors: the content is the parser's best guess and must not be validated. */
  readonly broken: boolean;
  /**
   * Locations already known (a document read from the manifest cache), by {@link locationKey};
   * `locate` answers from here first, so a cached document is not parsed again to point at a field.
   */
  readonly knownLocations?: ReadonlyMap<string, SourceLocation>;
}

export interface ParsedFile {
  readonly file: string;
  /** Non-empty documents only, in file order. */
  readonly documents: readonly SourceDocument[];
  readonly diagnostics: readonly Diagnostic[];
}

const SYNTAX_HINTS: Readonly<Partial<Record<YAMLError['code'], string>>> = {
  DUPLICATE_KEY: 'Remove or rename the repeated key; each key may appear once per mapping.',
  TAB_AS_INDENT: 'Indent with spaces; YAML does not allow tabs for indentation.',
  BAD_INDENT: 'Align the indentation of this line with its siblings and close any open [ or {.',
  MISSING_CHAR: 'Add the missing closing character (a quote, ] or }).',
  MULTILINE_IMPLICIT_KEY: 'Keep each key on a single line, or quote values that contain ": ".',
  BLOCK_AS_IMPLICIT_KEY: 'Put a space after the colon and indent the nested block under its key.',
  UNEXPECTED_TOKEN: 'Quote values that contain ":", "#", "[" or "{", and check the indentation.',
};

function syntaxDiagnostic(file: string, lineCounter: LineCounter, error: YAMLError, severity: 'error' | 'warning'): Diagnostic {
  const firstLine = error.message.split('\n', 1)[0] ?? error.message;
  return {
    severity,
    code: 'yaml-syntax',
    summary: `YAML ${severity === 'error' ? 'syntax error' : 'warning'}: ${firstLine.replace(/\.?$/, '.')}`,
    hint: SYNTAX_HINTS[error.code] ?? 'Fix the YAML at this position; quoting the value often helps.',
    location: locationAt(file, lineCounter, error.pos[0]),
  };
}

export function locationAt(file: string, lineCounter: LineCounter, offset: number): SourceLocation {
  const { line, col } = lineCounter.linePos(offset);
  return { file, line, column: col };
}

/** Empty documents (`---` followed by nothing or only comments) declare nothing and are skipped. */
function isEmptyDocument(document: Document.Parsed): boolean {
  const contents = document.contents;
  return contents === null || (isScalar(contents) && contents.value === null && contents.range[0] === contents.range[1]);
}

/**
 * Parses every document of one file. Syntax errors become diagnostics located where the parser
 * stopped; the documents are still returned (marked `broken`) so other documents of the file, and
 * other files, can be validated.
 */
export function parseManifestText(file: string, text: string): ParsedFile {
  const lineCounter = new LineCounter();
  // prettyErrors would append a code excerpt to messages; the location is reported separately.
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const diagnostics: Diagnostic[] = [];
  if ('empty' in parsed) {
    for (const e of parsed.errors) diagnostics.push(syntaxDiagnostic(file, lineCounter, e, 'error'));
    for (const w of parsed.warnings) diagnostics.push(syntaxDiagnostic(file, lineCounter, w, 'warning'));
    return { file, documents: [], diagnostics };
  }
  const documents: SourceDocument[] = [];
  parsed.forEach((document, index) => {
    for (const e of document.errors) diagnostics.push(syntaxDiagnostic(file, lineCounter, e, 'error'));
    for (const w of document.warnings) diagnostics.push(syntaxDiagnostic(file, lineCounter, w, 'warning'));
    if (isEmptyDocument(document)) return;
    documents.push({ file, index, document, lineCounter, broken: document.errors.length > 0 });
  });
  return { file, documents, diagnostics };
}

/** Where the document starts: its first content token, after any `---` and comments. */
export function documentLocation(source: SourceDocument): SourceLocation {
  const contents = source.document.contents;
  const offset = contents?.range[0] ?? source.document.range[0];
  return locationAt(source.file, source.lineCounter, offset);
}

interface Found {
  /** The node at the deepest path segment that exists (the document contents when none does). */
  readonly node: unknown;
  /** The mapping key of `node`, when it is a mapping value. */
  readonly key: unknown;
  /** Whether every segment of the path exists. */
  readonly complete: boolean;
}

function rangeStart(node: unknown): number | undefined {
  return isNode(node) ? node.range?.[0] : undefined;
}

/** Follows the path through mappings, sequences and aliases, stopping at the first segment that does not exist. */
function walk(source: SourceDocument, path: FieldPath): Found {
  let node: unknown = source.document.contents;
  let key: unknown = undefined;
  for (const segment of path) {
    const target = isAlias(node) ? node.resolve(source.document) : node;
    if (isMap(target)) {
      const pair = target.items.find((p) => {
        const k = isAlias(p.key) ? p.key.resolve(source.document) : p.key;
        return isScalar(k) && String(k.value) === String(segment);
      });
      if (pair === undefined) return { node, key, complete: false };
      key = pair.key;
      node = pair.value;
    } else if (isSeq(target) && typeof segment === 'number' && segment < target.items.length) {
      key = undefined;
      node = target.items[segment];
    } else {
      return { node, key, complete: false };
    }
  }
  return { node, key, complete: true };
}

/**
 * The location of the field at `path`. `value` points at the value (where a wrong value is),
 * `key` at the key (where an unwanted field is); a value left empty (`spec:`) is located at its key.
 * When the path does not exist (a missing field) the location is that of its nearest existing
 * parent's key, or the parent itself at the top of the document.
 */
export function locate(source: SourceDocument, path: FieldPath, at: 'key' | 'value'): SourceLocation {
  const known = source.knownLocations?.get(locationKey(path, at));
  if (known !== undefined) return known;
  const found = walk(source, path);
  const emptyValue = isScalar(found.node) && found.node.value === null && found.node.range?.[0] === found.node.range?.[1];
  const preferKey = at === 'key' || !found.complete || emptyValue || rangeStart(found.node) === undefined;
  const offset = (preferKey ? rangeStart(found.key) : undefined) ?? rangeStart(found.node) ?? rangeStart(source.document.contents) ?? 0;
  return locationAt(source.file, source.lineCounter, offset);
}

/** The key of a field's location in {@link SourceDocument.knownLocations}. */
export function locationKey(path: FieldPath, at: 'key' | 'value'): string {
  return `${at}:${JSON.stringify(path)}`;
}
