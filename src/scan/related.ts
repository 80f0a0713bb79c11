import type { ScannedResource } from './types.js';

/** Other resources of the same module that point at a resource, grouped by their type. */
export type Related = Readonly<Record<string, readonly Readonly<Record<string, unknown>>[]>>;

const ADDRESS = /\b([a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][\w-]*)\b/g;
const EMPTY: Related = Object.freeze({});

/**
 * For Terraform, many settings live in companion resources (`aws_s3_bucket_versioning` for a
 * bucket, `aws_security_group_rule` for a group). A resource B is related to A when B's arguments
 * reference A's address (`aws_s3_bucket.logs.id`) or when both have the same literal `bucket`
 * argument. Rules see this as `related.<type>` (a list of the related resources' arguments).
 * Only resources of one module directory are related; other sources get an empty map.
 */
export function relateResources(resources: readonly ScannedResource[]): ReadonlyMap<ScannedResource, Related> {
  const byAddress = new Map<string, ScannedResource>();
  const byBucket = new Map<string, ScannedResource>();
  for (const r of resources) {
    if (r.source !== 'terraform') continue;
    byAddress.set(r.name, r);
    const bucket = r.resource['bucket'];
    if (r.type === 'aws_s3_bucket' && typeof bucket === 'string' && !bucket.includes('${')) byBucket.set(bucket, r);
  }
  const related = new Map<ScannedResource, Record<string, Readonly<Record<string, unknown>>[]>>();
  const add = (target: ScannedResource, from: ScannedResource): void => {
    const entry = related.get(target) ?? {};
    (entry[from.type] ??= []).push(from.resource);
    related.set(target, entry);
  };
  for (const r of resources) {
    if (r.source !== 'terraform') continue;
    const targets = new Set<ScannedResource>();
    for (const match of JSON.stringify(r.resource).matchAll(ADDRESS)) {
      const target = byAddress.get(`${match[1]}.${match[2]}`);
      if (target && target !== r) targets.add(target);
    }
    const bucket = r.resource['bucket'];
    if (r.type !== 'aws_s3_bucket' && typeof bucket === 'string') {
      const target = byBucket.get(bucket);
      if (target) targets.add(target);
    }
    for (const target of targets) add(target, r);
  }
  return new Map(resources.map((r) => [r, related.get(r) ?? EMPTY]));
}
