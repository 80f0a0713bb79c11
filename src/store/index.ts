export { openPlanStore, openStore } from './open-store.js';
export { maskDatabaseUrl } from './database-url.js';
export { GENESIS_HASH } from './audit-hash.js';
export type * from './pause-types.js';
export type * from './change-request-types.js';
export type * from './lease-types.js';
export type * from './secret-types.js';
export type {
  ApplyLockHandle,
  AuditEntry,
  AuditFilter,
  AuditInput,
  AuditLog,
  AuditOutcome,
  AuditProblem,
  AuditProblemKind,
  AuditVerification,
  HistoryAction,
  HistoryEntry,
  HolderInfo,
  Intent,
  IntentCompletion,
  IntentInput,
  IntentOutcome,
  OpenStoreOptions,
  PlanStore,
  ResourceChange,
  RunInput,
  RunStatus,
  StateRecord,
  StateRecordInput,
  StateRecordSummary,
  Store,
} from './types.js';
