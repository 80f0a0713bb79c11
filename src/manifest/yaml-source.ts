import { createRequire } from 'node:module';
import { isScalar, LineCounter, parseAllDocuments, type Document, type YAMLError } from 'yaml';
import type { Diagnostic, SourceLocation } from '../core/index.js';

/**
 * One YAML document of a manifest file, with what is needed to point back into the text.
 *
 * A file is first read by a fast reader that keeps no positions (js-yaml). Its documents carry
 * their `value`, and `document` and `lineCounter` come from the positional parser (yaml) only
 * when something asks where a field is, which only a problem does. A file the fast reader does
 * not take as it is (see {@link parseManifestText}) is read by the positional parser at once.
 */
export interface SourceDocument {
  readonly file: string;
  /** 0-based position of the document in its file. */
  readonly index: number;
  readonly document: Document.Parsed;
  readonly lineCounter: LineCounter;
  /** The parser reported errors: the content is the parser's best guess and must not be validated. */
  readonly broken: boolean;
  /** The document's content when already read; otherwise it is `document.toJS()`. */
  readonly value?: unknown;
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

type FastReader = typeof import('js-yaml');
let fastReader: FastReader | undefined;
/** js-yaml, loaded on first use: a project read from the manifest cache parses no YAML at all. */
const reader = (): FastReader => (fastReader ??= createRequire(import.meta.url)('js-yaml') as FastReader);

/** A version directive (`%YAML 1.1`) changes how scalars resolve: only the positional parser honours it. */
const VERSION_DIRECTIVE = /^%YAML\b/m;

/** Whether `value` is a plain JSON/YAML object: a mapping, not null and not a sequence. */
export const isMapping = (value: unknown): value is Readonly<Record<string, unknown>> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A line that starts a document and holds nothing else. */
const DOCUMENT_MARKER = /^---[ \t]*\r?$/m;
/** Text that opens with an object, after blank space. */
const OPENS_OBJECT = /^\s*\{/;
/** A file whose first document opens with an object, after an optional marker line. */
const FIRST_OPENS_OBJECT = /^\s*(?:---[ \t]*\r?\n\s*)?\{/;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const isJsonSpace = (code: number): boolean => code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;

/** How many keys valid JSON text writes: every string followed by a colon is one. */
function keysWritten(text: string): number {
  let keys = 0;
  for (let start = text.indexOf('"'); start !== -1; ) {
    let end = start + 1;
    while (text.charCodeAt(end) !== QUOTE) end += text.charCodeAt(end) === BACKSLASH ? 2 : 1;
    let next = end + 1;
    while (isJsonSpace(text.charCodeAt(next))) next++;
    if (text.charCodeAt(next) === COLON) keys++;
    start = text.indexOf('"', next);
  }
  return keys;
}

/** How many keys the mappings of a parsed value hold, nested ones included. */
function keysHeld(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item: unknown) => sum + keysHeld(item), 0);
  if (typeof value !== 'object' || value === null) return 0;
  let keys = 0;
  for (const key in value) keys += 1 + keysHeld((value as Readonly<Record<string, unknown>>)[key]);
  return keys;
}

/**
 * The documents of a file whose every document is one JSON object, each after a line holding only
 * `---` (the first may go without), as tools that generate manifests write them. JSON is YAML
 * 1.2, and JSON.parse reads it several times faster than a YAML parser. It keeps the last of
 * repeated keys where YAML refuses them: a document whose text writes more keys than its value
 * holds is left to the YAML readers, which report the repeated key.
 */
export function jsonRead(text: string): readonly Readonly<Record<string, unknown>>[] | undefined {
  // A YAML file is told apart by its first characters, before its text is split.
  if (!FIRST_OPENS_OBJECT.test(text)) return undefined;
  const parts = text.split(DOCUMENT_MARKER);
  if (parts[0]!.trim() === '') parts.shift();
  if (parts.length === 0) return undefined;
  const values: Readonly<Record<string, unknown>>[] = [];
  for (const part of parts) {
    // An empty document, a comment or anything but an object: the YAML readers decide.
    if (!OPENS_OBJECT.test(part)) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(part);
    } catch {
      return undefined;
    }
    if (!isMapping(value) || keysHeld(value) !== keysWritten(part)) return undefined;
    values.push(value);
  }
  return values;
}

/**
 * The documents of a file as the fast readers see them, when they take the file as it is: no
 * syntax error, no version directive, no alias (the positional parser limits how far aliases
 * expand) and every document a mapping (an empty document reads as null there, so which documents
 * are empty is left to the positional parser). They read YAML 1.2 with the core schema.
 */
function quickRead(text: string): readonly Readonly<Record<string, unknown>>[] | undefined {
  const json = jsonRead(text);
  if (json !== undefined) return json;
  if (VERSION_DIRECTIVE.test(text)) return undefined;
  const { loadAll, CORE_SCHEMA } = reader();
  let values: readonly unknown[];
  try {
    values = loadAll(text, { schema: CORE_SCHEMA, maxAliases: 0 });
  } catch {
    return undefined;
  }
  return values.every(isMapping) ? values : undefined;
}

/**
 * A document of `file` whose position-carrying form is read only on first use, from `positioned`
 * (which parses the file's text with positions, once). `value` is its content when already known.
 */
export class DeferredDocument implements SourceDocument {
  readonly broken = false;
  readonly #positioned: () => ParsedFile;

  constructor(
    readonly file: string,
    readonly index: number,
    readonly value: unknown,
    positioned: () => ParsedFile,
  ) {
    this.#positioned = positioned;
  }

  get document(): Document.Parsed {
    return this.#parsed().document;
  }

  get lineCounter(): LineCounter {
    return this.#parsed().lineCounter;
  }

  #parsed(): SourceDocument {
    const found = this.#positioned().documents.find((d) => d.index === this.index);
    if (found === undefined) throw new Error(`${this.file}: document ${this.index + 1} is no longer there`);
    return found;
  }
}

/** Parses `text` with positions the first time the result is asked for. */
export function positionedOnce(file: string, text: string): () => ParsedFile {
  let parsed: ParsedFile | undefined;
  return () => (parsed ??= parseWithPositions(file, text));
}

/**
 * Parses every document of one file. Syntax errors become diagnostics located where the parser
 * stopped; the documents are still returned (marked `broken`) so other documents of the file, and
 * other files, can be validated. A file without problems is read by the fast reader, and its
 * positions are worked out only if a location is asked for.
 */
export function parseManifestText(file: string, text: string): ParsedFile {
  const values = quickRead(text);
  if (values === undefined) return parseWithPositions(file, text);
  const positioned = positionedOnce(file, text);
  return { file, documents: values.map((value, index) => new DeferredDocument(file, index, value, positioned)), diagnostics: [] };
}

/** {@link parseManifestText} with the positional parser only. */
export function parseWithPositions(file: string, text: string): ParsedFile {
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
