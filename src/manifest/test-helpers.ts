import assert from 'node:assert/strict';
import type { Diagnostic, DiagnosticCode } from '../core/index.js';
import { loadManifestTexts, type LoadResult } from './load.js';

/**
 * Support for this folder's tests; not exported from the barrel. It uses node:assert rather than
 * vitest because the build compiles every non-test file of src/.
 */

export const HEADER = 'apiVersion: steward.dev/v1alpha1';

export const INSTANCE_MAIN = `${HEADER}
kind: PostgresInstance
metadata:
  name: main
spec: {}
`;

/** Loads one file named `m.yaml`. */
export function loadOne(text: string): LoadResult {
  return loadManifestTexts([{ file: 'm.yaml', text }]);
}

/** The only diagnostic with `code`; fails when there are none or several. */
export function only(result: LoadResult, code: DiagnosticCode): Diagnostic {
  const found = result.diagnostics.filter((d) => d.code === code);
  assert.equal(found.length, 1, `expected one ${code} diagnostic in ${JSON.stringify(result.diagnostics, null, 2)}`);
  return found[0]!;
}

/** Asserts where an error points and that it says how to fix the problem. */
export function expectAt(d: Diagnostic, line: number, column: number, path?: readonly (string | number)[], file = 'm.yaml'): void {
  assert.equal(d.severity, 'error');
  assert.deepEqual(d.location, { file, line, column });
  if (path !== undefined) assert.deepEqual(d.path, path);
  assert.ok(d.summary.length > 0, 'summary is empty');
  assert.ok((d.hint ?? '').length > 0, `no hint for ${d.code}`);
}
