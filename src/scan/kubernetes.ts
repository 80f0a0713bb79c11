import type { LineCounter } from 'yaml';
import type { ScannedResource } from './types.js';
import { nodePosition, yamlAttributeLines } from './yaml/lines.js';
import type { YamlDocument } from './yaml/parse.js';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Resource types of Kubernetes objects are `kubernetes:<Kind>` (`kubernetes:Deployment`). */
export const KUBERNETES_PREFIX = 'kubernetes:';

/** Where each workload kind keeps its pod spec. */
const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** Workload kinds that carry a pod spec, as resource types. */
export const KUBERNETES_WORKLOADS: readonly string[] = Object.keys(POD_SPEC_PATHS).map((k) => `${KUBERNETES_PREFIX}${k}`);

/** A Kubernetes object: `apiVersion` and `kind` strings, and not a Steward manifest. */
export function isKubernetesObject(value: unknown): value is Record<string, unknown> {
  return isRecord(value) && typeof value['apiVersion'] === 'string' && typeof value['kind'] === 'string' && !value['apiVersion'].startsWith('steward.dev/');
}

function at(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) current = isRecord(current) ? current[key] : undefined;
  return current;
}

/**
 * Adds `<alias>.<rest>` entries for every `<real>.<rest>` line, so rules can name attributes of the
 * uniform views (`podSpec.hostNetwork`) and still get the line of the real field.
 */
function alias(lines: Record<string, number>, real: string, aliasName: string): void {
  for (const [path, line] of Object.entries(lines)) {
    if (path === real || path.startsWith(`${real}.`)) {
      const key = aliasName + path.slice(real.length);
      if (!(key in lines) || (lines[key] ?? 0) > line) lines[key] = line;
    }
  }
}

/**
 * One object becomes one resource: type `kubernetes:<Kind>`, name `<namespace>/<name>` (namespace
 * `default` when absent), `resource` = the object as written plus two uniform views for workloads:
 * `podSpec` (the pod spec wherever the kind keeps it) and `allContainers` (containers, init
 * containers and ephemeral containers together), so one rule covers Pods, Deployments, CronJobs...
 */
export function normaliseKubernetes(file: string, document: YamlDocument, lineCounter: LineCounter): ScannedResource | undefined {
  const value = document.value;
  if (!isKubernetesObject(value)) return undefined;
  const kind = String(value['kind']);
  const metadata = isRecord(value['metadata']) ? value['metadata'] : {};
  const name = `${typeof metadata['namespace'] === 'string' ? metadata['namespace'] : 'default'}/${typeof metadata['name'] === 'string' ? metadata['name'] : '(unnamed)'}`;
  const lines = yamlAttributeLines(document.document.contents, lineCounter);
  const podPath = POD_SPEC_PATHS[kind];
  let resource: Record<string, unknown> = value;
  if (podPath) {
    const podSpec = at(value, podPath);
    const spec = isRecord(podSpec) ? podSpec : {};
    const list = (key: string): unknown[] => (Array.isArray(spec[key]) ? (spec[key] as unknown[]) : []);
    resource = { ...value, podSpec: spec, allContainers: [...list('containers'), ...list('initContainers'), ...list('ephemeralContainers')] };
    const real = podPath.join('.');
    alias(lines, real, 'podSpec');
    for (const key of ['ephemeralContainers', 'initContainers', 'containers']) alias(lines, `${real}.${key}`, 'allContainers');
  }
  const { line, column } = nodePosition(document.document.contents, lineCounter);
  return { source: 'kubernetes', type: `${KUBERNETES_PREFIX}${kind}`, name, resource, location: { file, line, column }, attributeLines: lines };
}
