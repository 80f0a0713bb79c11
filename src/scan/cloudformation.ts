import { isMap, isPair, isScalar, type LineCounter } from 'yaml';
import type { ScannedResource } from './types.js';
import { yamlAttributeLines } from './yaml/lines.js';
import type { YamlDocument } from './yaml/parse.js';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A template: a `Resources` mapping whose entries have an `AWS::`/`Custom::`-style `Type`, or `AWSTemplateFormatVersion`. */
export function isCloudFormation(value: unknown): boolean {
  if (!isRecord(value)) return false;
  if ('AWSTemplateFormatVersion' in value) return true;
  const resources = value['Resources'];
  return isRecord(resources) && Object.values(resources).some((r) => isRecord(r) && typeof r['Type'] === 'string' && /^[A-Za-z0-9]+::/.test(r['Type']));
}

/**
 * Each entry of `Resources` becomes one resource: type = its `Type` (`AWS::S3::Bucket`), name =
 * logical id, `resource` = the entry as written (`{Type, Properties, ...}`), so rules read
 * `resource.Properties.X`. Intrinsic functions appear in their long form (`{Ref: ...}`), which rules
 * treat as unknown values.
 */
export function normaliseCloudFormation(file: string, document: YamlDocument, lineCounter: LineCounter): readonly ScannedResource[] {
  const root = document.document.contents;
  if (!isMap(root) || !isRecord(document.value)) return [];
  const resourcesPair = root.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === 'Resources');
  if (!resourcesPair || !isMap(resourcesPair.value)) return [];
  const values = document.value['Resources'];
  if (!isRecord(values)) return [];
  const out: ScannedResource[] = [];
  for (const pair of resourcesPair.value.items) {
    if (!isScalar(pair.key)) continue;
    const name = String(pair.key.value);
    const value = values[name];
    if (!isRecord(value) || typeof value['Type'] !== 'string') continue;
    const { line, col } = lineCounter.linePos(pair.key.range?.[0] ?? 0);
    out.push({
      source: 'cloudformation',
      type: value['Type'],
      name,
      resource: value,
      location: { file, line, column: col },
      attributeLines: yamlAttributeLines(pair.value, lineCounter),
    });
  }
  return out;
}
