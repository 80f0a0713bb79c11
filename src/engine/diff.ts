import { canonicalJson, type Attributes, type FieldChange, type FieldRule, type JsonValue } from '../core/index.js';

function same(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return canonicalJson(a) === canonicalJson(b);
}

/**
 * Field-level differences between what is declared and what was observed. Only the keys of
 * `desired` are compared: a field the user did not declare is not managed. Pure.
 */
export function diffAttributes(
  desired: Attributes,
  observed: Attributes,
  fields: Readonly<Record<string, FieldRule>>,
): readonly FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of Object.keys(desired).sort()) {
    const rule = fields[field];
    if (rule?.createOnly) continue;
    const after = desired[field];
    const before = observed[field];
    if (!same(before, after)) changes.push({ field, before, after, requiresReplace: rule?.requiresReplace === true });
  }
  return changes;
}

/** Every declared field as a change from nothing, for a resource about to be created. */
export function creationChanges(desired: Attributes): readonly FieldChange[] {
  return Object.keys(desired)
    .sort()
    .map((field) => ({ field, before: undefined, after: desired[field], requiresReplace: false }));
}

/** Every known field as a change to nothing, for a resource about to be deleted. */
export function deletionChanges(observed: Attributes): readonly FieldChange[] {
  return Object.keys(observed)
    .sort()
    .map((field) => ({ field, before: observed[field], after: undefined, requiresReplace: false }));
}
