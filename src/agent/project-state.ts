import { resolve } from 'node:path';
import { DiagnosticsError, hasErrors, type Diagnostic } from '../core/index.js';
import { projectPolicies, type LoadedProject } from '../app/index.js';
import { KINDS } from '../kinds/index.js';
import { loadManifests } from '../manifest/index.js';
import type { PolicySet } from '../policy/index.js';
import { resolveAutonomy, type ResolvedAutonomy } from './autonomy.js';

/** Everything the loop needs from the manifests, validated together. */
export interface ProjectState {
  readonly project: LoadedProject;
  readonly policies: PolicySet;
  readonly autonomy: ResolvedAutonomy;
}

export type LoadOutcome = { readonly ok: true; readonly state: ProjectState } | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

/** Loads the manifests, the policy set and the autonomy; any error is returned, located, not thrown. */
export async function loadProjectState(dir: string): Promise<LoadOutcome> {
  const root = resolve(dir);
  try {
    const result = await loadManifests(root, { kinds: KINDS });
    if (hasErrors(result.diagnostics)) return { ok: false, diagnostics: result.diagnostics };
    const project: LoadedProject = { dir: root, resources: result.resources, files: result.files, kinds: KINDS };
    const policies = await projectPolicies(project);
    const autonomy = resolveAutonomy(project.resources);
    return { ok: true, state: { project, policies, autonomy } };
  } catch (error) {
    if (error instanceof DiagnosticsError) return { ok: false, diagnostics: error.diagnostics };
    throw error;
  }
}

/** `file:line:column: error[code] summary`, one per error, for logs. */
export function locatedDiagnostics(diagnostics: readonly Diagnostic[]): readonly string[] {
  return diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => `${d.location ? `${d.location.file}:${d.location.line}:${d.location.column}: ` : ''}error[${d.code}] ${d.summary}${d.address ? ` (${d.address})` : ''}`);
}
