import { isNode, LineCounter, parseAllDocuments } from 'yaml';
import type { FieldPath, SourceLocation } from '../core/index.js';

/** Finds the line of a field inside one document; falls back to the document's own start. */
export type FieldLocator = (path: FieldPath) => SourceLocation;

/**
 * Locators for the documents of one manifest file, keyed by where each document starts (the
 * `source` the manifest loader gives a resource), so a rule can be reported at its own line
 * rather than at its Policy's. Pure: the caller reads the file.
 */
export function documentLocators(file: string, text: string): ReadonlyMap<string, FieldLocator> {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const out = new Map<string, FieldLocator>();
  if (!Array.isArray(documents)) return out;
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  for (const document of documents) {
    const start = document.contents?.range[0];
    if (start === undefined) continue;
    const origin = at(start);
    out.set(locationKey(origin), (path) => {
      const node = document.getIn(path, true);
      const offset = isNode(node) ? node.range?.[0] : undefined;
      return offset === undefined ? origin : at(offset);
    });
  }
  return out;
}

export function locationKey(location: SourceLocation): string {
  return `${location.line}:${location.column}`;
}
