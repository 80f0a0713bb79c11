import type { ResourceAddress } from './address.js';
import type { SourceLocation } from './diagnostics.js';

export const API_VERSION = 'steward.dev/v1alpha1';

export interface ResourceMetadata {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/** A plain JSON value: what specs and observed attributes are made of. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export type Attributes = Readonly<Record<string, JsonValue>>;

/**
 * A resource as declared in the manifests, validated and with its references resolved.
 * `spec` excludes the lifecycle fields (`dependsOn`, `protect`), which are lifted out.
 */
export interface DesiredResource<Spec = unknown> {
  readonly address: ResourceAddress;
  readonly kind: string;
  readonly name: string;
  readonly metadata: ResourceMetadata;
  readonly spec: Spec;
  /** Every resource this one needs first: explicit `dependsOn` plus references found in the spec. */
  readonly dependsOn: readonly ResourceAddress[];
  /** The resource whose connection this one is managed through (e.g. its PostgresInstance). */
  readonly target?: ResourceAddress;
  readonly protect: boolean;
  readonly source: SourceLocation;
}

/** What a refresh found: `exists: false` means the provider looked and it is not there. */
export interface Observation {
  readonly exists: boolean;
  readonly attributes: Attributes;
  /** The target's own identity for the resource (e.g. an OID), when it exists. */
  readonly providerId?: string;
}

/** One live resource as a provider reports it. */
export interface ObservedResource {
  /** The target's own identity, stable across renames and changes (e.g. a PostgreSQL OID). */
  readonly providerId: string;
  readonly attributes: Attributes;
}
