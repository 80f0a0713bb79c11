import type { DesiredResource, FieldChange, ObserveRequest, ObservedResource } from '../../core/index.js';
import type { InstanceConnection } from './connection.js';

/** Observe / Create / Update / Delete for one PostgreSQL resource kind (contract: core/provider.ts). */
export interface KindHandler {
  readonly kind: string;
  /** Where a change works, for batching nearby changes together (see `BatchCapability.locality`). */
  locality?(spec: unknown): string;
  observe(conn: InstanceConnection, requests: readonly ObserveRequest[]): Promise<ReadonlyMap<string, ObservedResource>>;
  create(conn: InstanceConnection, resource: DesiredResource): Promise<void>;
  update(conn: InstanceConnection, resource: DesiredResource, changes: readonly FieldChange[]): Promise<void>;
  delete(conn: InstanceConnection, name: string, spec: unknown): Promise<void>;
}
