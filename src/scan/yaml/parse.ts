import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import { CLOUDFORMATION_TAGS } from './cfn-tags.js';

export interface YamlDocument {
  readonly document: Document.Parsed;
  /** The plain value (`toJS()`), intrinsic-function tags in their long form. */
  readonly value: unknown;
}

export type YamlParseResult =
  | { readonly ok: true; readonly documents: readonly YamlDocument[]; readonly lineCounter: LineCounter }
  | { readonly ok: false; readonly message: string; readonly line: number };

/**
 * Parses every document of a YAML (or JSON, which is YAML) text with CloudFormation's tags known.
 * The first syntax error fails the file: a half-parsed template would give wrong findings.
 */
export function parseYamlDocuments(text: string): YamlParseResult {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, customTags: [...CLOUDFORMATION_TAGS], uniqueKeys: false });
  if ('empty' in parsed) return { ok: true, documents: [], lineCounter };
  const documents: YamlDocument[] = [];
  for (const document of parsed) {
    const error = document.errors[0];
    if (error) return { ok: false, message: error.message.split('\n', 1)[0] ?? error.message, line: lineCounter.linePos(error.pos[0]).line };
    if (document.contents === null) continue;
    documents.push({ document, value: document.toJS({ maxAliasCount: 100 }) as unknown });
  }
  return { ok: true, documents, lineCounter };
}
