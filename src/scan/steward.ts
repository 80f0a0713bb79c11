import { loadManifestTexts, type ManifestText } from '../manifest/index.js';
import { diagnosticFinding } from './diagnostic-finding.js';
import { stewardPolicyFindings } from './steward-policy.js';
import type { ScanFinding, ScannedResource } from './types.js';
import { yamlAttributeLines } from './yaml/lines.js';
import { parseYamlDocuments } from './yaml/parse.js';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Steward manifests go through the real manifest loader (`loadManifestTexts`), so the scan sees
 * exactly what `plan` would: type = kind, name = metadata.name, `resource` = `{kind, metadata,
 * spec}`. Manifest errors (schema, references) are reported as findings of `STW-SCAN-MANIFEST`;
 * resources that failed validation are left out.
 */
export function normaliseSteward(files: readonly ManifestText[]): { readonly resources: readonly ScannedResource[]; readonly findings: readonly ScanFinding[] } {
  if (files.length === 0) return { resources: [], findings: [] };
  const texts = new Map(files.map((f) => [f.file, f.text]));
  const loaded = loadManifestTexts(files);
  const lines = new Map<string, Record<string, number>>();
  for (const { file, text } of files) {
    const parsed = parseYamlDocuments(text);
    if (!parsed.ok) continue;
    for (const document of parsed.documents) {
      const value = document.value;
      if (!isRecord(value) || !isRecord(value['metadata'])) continue;
      lines.set(`${file}\0${String(value['kind'])}\0${String(value['metadata']['name'])}`, yamlAttributeLines(document.document.contents, parsed.lineCounter));
    }
  }
  const resources = loaded.resources.map((r): ScannedResource => ({
    source: 'steward',
    type: r.kind,
    name: r.name,
    resource: { kind: r.kind, metadata: r.metadata, spec: r.spec as Record<string, unknown> },
    location: r.source,
    attributeLines: lines.get(`${r.source.file}\0${r.kind}\0${r.name}`) ?? {},
  }));
  const findings = loaded.diagnostics
    .filter((d) => d.severity === 'error' && d.location !== undefined)
    .map((d) => diagnosticFinding(d, { ruleId: 'STW-SCAN-MANIFEST', title: 'Steward manifest is invalid', severity: 'info', remediation: 'run `steward validate` and fix the manifest' }));
  return { resources, findings: [...findings, ...stewardPolicyFindings(loaded.resources, texts)] };
}
