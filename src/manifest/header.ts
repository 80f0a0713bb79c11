import { API_VERSION, type Diagnostic, type KindDefinition } from '../core/index.js';
import { closestMatch, quoteList } from './suggest.js';
import { describeValue } from './zod-issues.js';
import { documentLocation, locate } from './locations.js';
import type { SourceDocument } from './yaml-source.js';

/**
 * Checks of `apiVersion` and `kind`, which have diagnostic codes of their own and decide which
 * schema validates the rest of the document.
 */

/** Receives one error; the caller adds the severity and the resource address. */
export type Report = (d: Omit<Diagnostic, 'severity' | 'address'>) => void;

type Data = Readonly<Record<string, unknown>>;

export function checkApiVersion(source: SourceDocument, data: Data, report: Report): void {
  const path = ['apiVersion'];
  if (!Object.hasOwn(data, 'apiVersion')) {
    report({
      code: 'unknown-api-version',
      summary: 'The document has no apiVersion.',
      hint: `Add apiVersion: ${API_VERSION} to the document.`,
      location: documentLocation(source),
      path,
    });
    return;
  }
  const value = data['apiVersion'];
  if (value === API_VERSION) return;
  report({
    code: 'unknown-api-version',
    summary:
      typeof value === 'string'
        ? `Unknown apiVersion '${value}'; Steward understands ${API_VERSION}.`
        : `apiVersion must be the string ${API_VERSION}, not ${describeValue(value)}.`,
    hint: `Set apiVersion: ${API_VERSION}.`,
    location: locate(source, path, 'value'),
    path,
  });
}

/** The kind's definition, or undefined (and a diagnostic) when the kind is missing or unknown. */
export function checkKind(source: SourceDocument, data: Data, kinds: ReadonlyMap<string, KindDefinition>, report: Report): KindDefinition | undefined {
  const path = ['kind'];
  const value = data['kind'];
  const known = typeof value === 'string' && Object.hasOwn(data, 'kind') ? kinds.get(value) : undefined;
  if (known !== undefined) return known;
  const names = [...kinds.keys()];
  const choices = names.length === 0 ? 'Remove the document: no kinds are available here.' : `Use one of ${quoteList(names)}.`;
  if (!Object.hasOwn(data, 'kind')) {
    const location = documentLocation(source);
    report({ code: 'missing-field', summary: 'The document has no kind.', hint: `Add a kind to the document. ${choices}`, location, path });
    return undefined;
  }
  if (typeof value !== 'string') {
    report({
      code: 'invalid-type',
      summary: `kind has the wrong type: expected a string, received ${describeValue(value)}.`,
      hint: choices,
      location: locate(source, path, 'value'),
      path,
    });
    return undefined;
  }
  const suggestion = closestMatch(value, names);
  report({
    code: 'unknown-kind',
    summary: `Unknown kind '${value}'.`,
    hint: suggestion === undefined ? choices : `Did you mean '${suggestion}'?`,
    location: locate(source, path, 'value'),
    path,
  });
  return undefined;
}
