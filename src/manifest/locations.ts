import { isAlias, isMap, isNode, isScalar, isSeq } from 'yaml';
import type { FieldPath, SourceLocation } from '../core/index.js';
import type { SourceDocument } from './yaml-source.js';

/** Where a location points inside its file, so it can be found again from the file's text. */
export interface LocationOrigin {
  /** The document's index in its file. */
  readonly document: number;
  /** The field; absent for the document itself. */
  readonly field?: { readonly path: FieldPath; readonly at: 'key' | 'value' };
}

interface Position {
  readonly line: number;
  readonly column: number;
}

/** What a deferred location keeps besides its file: where it points, and the position once found. */
interface Deferred {
  readonly source: SourceDocument;
  readonly origin: LocationOrigin;
  position?: Position;
}

const DEFERRED = Symbol('deferred location');

type DeferredLocation = SourceLocation & { readonly [DEFERRED]: Deferred };

function positionOf(deferred: Deferred): Position {
  if (deferred.position === undefined) {
    try {
      const { line, col } = deferred.source.lineCounter.linePos(offsetOf(deferred.source, deferred.origin));
      deferred.position = { line, column: col };
    } catch {
      deferred.position = { line: 1, column: 1 };
    }
  }
  return deferred.position;
}

/** The same two accessors for every deferred location (no functions made per location). */
const LINE: PropertyDescriptor = {
  enumerable: true,
  get(this: DeferredLocation): number {
    return positionOf(this[DEFERRED]).line;
  },
};
const COLUMN: PropertyDescriptor = {
  enumerable: true,
  get(this: DeferredLocation): number {
    return positionOf(this[DEFERRED]).column;
  },
};

/**
 * A location whose line and column are worked out when first read: locating means parsing with
 * positions, and most locations are never read (only problems show one). If the document cannot
 * be found again, the location is the top of the file. It is a plain object whose `line` and
 * `column` are its own enumerable properties, so it reads, compares and serialises as any location.
 */
function deferredLocation(source: SourceDocument, origin: LocationOrigin): SourceLocation {
  const location = { file: source.file };
  Object.defineProperty(location, DEFERRED, { value: { source, origin } satisfies Deferred });
  Object.defineProperty(location, 'line', LINE);
  Object.defineProperty(location, 'column', COLUMN);
  return location as DeferredLocation;
}

/** Where `location` was taken from, when it was made by {@link documentLocation} or {@link locate}. */
export function originOf(location: SourceLocation): LocationOrigin | undefined {
  return DEFERRED in location ? (location as DeferredLocation)[DEFERRED].origin : undefined;
}

/** The location `origin` describes in `source` (a document of the file it came from). */
export function locationOf(source: SourceDocument, origin: LocationOrigin): SourceLocation {
  return deferredLocation(source, origin);
}

/** Where the document starts: its first content token, after any `---` and comments. */
export function documentLocation(source: SourceDocument): SourceLocation {
  return deferredLocation(source, { document: source.index });
}

/**
 * The location of the field at `path`. `value` points at the value (where a wrong value is),
 * `key` at the key (where an unwanted field is); a value left empty (`spec:`) is located at its key.
 * When the path does not exist (a missing field) the location is that of its nearest existing
 * parent's key, or the parent itself at the top of the document.
 */
export function locate(source: SourceDocument, path: FieldPath, at: 'key' | 'value'): SourceLocation {
  return deferredLocation(source, { document: source.index, field: { path, at } });
}

/** The offset in the file's text that `origin` points at. */
function offsetOf(source: SourceDocument, origin: LocationOrigin): number {
  const contents = source.document.contents;
  if (origin.field === undefined) return contents?.range[0] ?? source.document.range[0];
  const { path, at } = origin.field;
  const found = walk(source, path);
  const emptyValue = isScalar(found.node) && found.node.value === null && found.node.range?.[0] === found.node.range?.[1];
  const preferKey = at === 'key' || !found.complete || emptyValue || rangeStart(found.node) === undefined;
  return (preferKey ? rangeStart(found.key) : undefined) ?? rangeStart(found.node) ?? rangeStart(contents) ?? 0;
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
