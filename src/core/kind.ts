import type { z } from 'zod';
import type { ResourceAddress } from './address.js';
import type { FieldPath } from './diagnostics.js';
import type { Attributes, ResourceMetadata } from './resource.js';

/** How the planner treats one attribute of a kind. */
export interface FieldRule {
  /** Changing it cannot be done in place: the resource is deleted and created again. */
  readonly requiresReplace?: boolean;
  /** Only used when creating; the live value cannot be read back, so it is never compared. */
  readonly createOnly?: boolean;
}

/** A reference from one resource's spec to another resource, which becomes a graph edge. */
export interface Reference {
  readonly path: FieldPath;
  /**
   * The resource referred to. When `key` is given instead (and `target` is only a fallback for
   * messages), the edge goes to whichever declared resource `provides` that key — for things
   * named by what they are rather than by their metadata.name, e.g. the schema `billing` in
   * database `app`.
   */
  readonly target: ResourceAddress;
  readonly key?: string;
  /**
   * `true`: the target must be declared in the manifests (a dangling one is an error).
   * `false`: an edge only when the target is declared; otherwise it names something that
   * already exists outside Steward (e.g. the `postgres` role owning a database).
   */
  readonly required: boolean;
}

/**
 * Everything Steward knows about a kind without doing I/O: its schema, its references and how its
 * attributes are compared. Providers implement the I/O for `managed` kinds.
 */
export interface KindDefinition<Spec = unknown> {
  readonly kind: string;
  readonly description: string;
  /** Validates `spec` (lifecycle fields already removed) and produces the typed spec. */
  readonly spec: z.ZodType<Spec>;
  /**
   * `target`: a connection other resources are managed through; it is never created or deleted.
   * `managed`: has a lifecycle (create, update, delete) carried out by a provider.
   * `config`: configures Steward itself (e.g. a Policy); never planned or applied.
   */
  readonly role: 'target' | 'managed' | 'config';
  /** Returns a message when `name` cannot be used as this kind's name. */
  validateName(name: string): string | undefined;
  references(spec: Spec): readonly Reference[];
  /** The target resource this one is managed through (for managed kinds). */
  target(spec: Spec): ResourceAddress | undefined;
  /**
   * The attributes the live resource must have once applied, in the same normalised form that the
   * provider's observation returns. The planner compares exactly these keys.
   */
  desiredAttributes(name: string, spec: Spec): Attributes;
  readonly fields: Readonly<Record<string, FieldRule>>;
  /**
   * What deleting this resource will do, judged from the spec it was last applied with (null when
   * unknown) and what the refresh observed: a note for the plan, or a problem that stops it.
   */
  describeDeletion?(name: string, spec: unknown, observed: Attributes): DeletionVerdict;
  /** Keys other resources can reference this one by (see `Reference.key`). */
  provides?(name: string, spec: Spec): readonly string[];
  /**
   * For composite kinds (e.g. an Agent): the primitive resources it stands for, expanded before
   * references are resolved. Each child is validated by its own kind, located at the composite's
   * document, and carries the `PARENT_ANNOTATION` naming the composite.
   */
  expand?(name: string, spec: Spec, metadata: ResourceMetadata): readonly ChildDocument[];
}

/** The annotation a composite's children carry: the composite's address, e.g. `Agent/billing-bot`. */
export const PARENT_ANNOTATION = 'steward.dev/parent';

/** One resource a composite kind expands into, written as a manifest document would be. */
export interface ChildDocument {
  readonly kind: string;
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  /** Raw spec, validated (defaults applied) by the child's kind like a written one. */
  readonly spec: Readonly<Record<string, unknown>>;
}

export type DeletionVerdict =
  | { readonly ok: true; readonly note?: string }
  | { readonly ok: false; readonly problem: string; readonly hint: string };
