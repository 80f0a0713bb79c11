import { randomUUID } from 'node:crypto';
import { StewardError } from '../core/errors.js';
import type { JsonValue } from '../core/resource.js';
import { appendAuditEntries, auditWriteFailed } from './audit-log.js';
import { isUuid } from './ids.js';
import { toJsonValue } from './json.js';
import { hasConcurrentWriters, isoTimestamp, type SqlClient } from './sql-client.js';
import { putResourcesIn } from './state-repo.js';
import type { Intent, IntentCompletion, IntentInput, IntentOutcome } from './types.js';

export interface IntentRepository {
  recordIntent(intent: IntentInput): Promise<Intent>;
  recordIntents(intents: readonly IntentInput[]): Promise<readonly Intent[]>;
  resolveIntent(intent: Intent, outcome: IntentOutcome): Promise<void>;
  completeIntents(items: readonly IntentCompletion[]): Promise<void>;
  unresolvedIntents(): Promise<readonly Intent[]>;
}

interface IntentRow {
  readonly id: string;
  readonly run_id: string;
  readonly actor: string;
  readonly address: string;
  readonly action: string;
  readonly before_hash: string | null;
  readonly after_hash: string | null;
  readonly detail: JsonValue | null;
  readonly created_at: string;
}

const INTENT_COLUMNS = `id::text AS id, run_id::text AS run_id, actor, address, action, before_hash, after_hash, detail,
  ${isoTimestamp('created_at')} AS created_at`;

const OUTCOMES: ReadonlySet<string> = new Set<IntentOutcome['status']>(['succeeded', 'failed', 'recovered']);

function toIntent(row: IntentRow): Intent {
  return {
    id: row.id,
    runId: row.run_id,
    actor: row.actor,
    address: row.address,
    action: row.action,
    beforeHash: row.before_hash,
    afterHash: row.after_hash,
    detail: row.detail,
    createdAt: row.created_at,
  };
}

/** The audit detail of an intent's entries: which intent, plus whatever the caller attached (already a JSON value). */
function auditDetail(intentId: string, detail: JsonValue): JsonValue {
  return detail === null ? { intentId } : { intentId, detail };
}

/**
 * Intents make a crash visible: one is recorded (with its 'pending' audit entry) before every
 * mutation and resolved (with its outcome's entry) after it. Both steps are single transactions
 * and fail closed: if the audit entry cannot be written, nothing is written and the caller gets
 * `audit-write-failed`.
 */
export function createIntentRepository(client: SqlClient): IntentRepository {
  const repository: IntentRepository = {
    async recordIntent(intent: IntentInput): Promise<Intent> {
      const [recorded] = await repository.recordIntents([intent]);
      return recorded!;
    },

    async recordIntents(intents: readonly IntentInput[]): Promise<readonly Intent[]> {
      if (intents.length === 0) return [];
      // Built here rather than read back: every column is known before the insert (the time too,
      // stored at the precision it is shown with), and reading rows back costs more than writing them.
      const createdAt = new Date().toISOString();
      const recorded = intents.map(
        (intent): Intent => ({
          id: randomUUID(),
          runId: intent.runId,
          actor: intent.actor,
          address: intent.address,
          action: intent.action,
          beforeHash: intent.beforeHash,
          afterHash: intent.afterHash,
          detail: toJsonValue(intent.detail),
          createdAt,
        }),
      );
      try {
        await client.transaction(async (tx) => {
          await tx.query(
            `INSERT INTO steward.intents (id, run_id, actor, address, action, before_hash, after_hash, detail, created_at)
             SELECT (e->>0)::uuid, (e->>1)::uuid, e->>2, e->>3, e->>4, e->>5, e->>6,
                    CASE WHEN jsonb_typeof(e->7) = 'null' THEN NULL ELSE e->7 END, $2::timestamptz
               FROM jsonb_array_elements($1::jsonb) AS e`,
            [JSON.stringify(recorded.map((i) => [i.id, i.runId, i.actor, i.address, i.action, i.beforeHash, i.afterHash, i.detail])), createdAt],
          );
          await appendAuditEntries(
            tx,
            recorded.map((intent) => ({
              actor: intent.actor,
              runId: intent.runId,
              address: intent.address,
              action: intent.action,
              beforeHash: intent.beforeHash,
              afterHash: intent.afterHash,
              outcome: 'pending' as const,
              error: null,
              detail: auditDetail(intent.id, intent.detail),
            })),
          );
        });
      } catch (error) {
        throw auditWriteFailed(error);
      }
      return recorded;
    },

    async completeIntents(items: readonly IntentCompletion[]): Promise<void> {
      if (items.length === 0) return;
      for (const { intent, outcome } of items) {
        if (!OUTCOMES.has(outcome.status)) {
          throw new StewardError('invalid-input', `unknown intent outcome '${String(outcome.status)}'`);
        }
        if (!isUuid(intent.id)) throw new StewardError('not-found', `intent '${intent.id}' is not pending (unknown or already resolved)`);
      }
      const afterHashOf = (item: IntentCompletion): string | null => (item.outcome.afterHash === undefined ? item.intent.afterHash : item.outcome.afterHash);
      let missing: readonly string[] = [];
      try {
        await client.transaction(async (tx) => {
          await putResourcesIn(
            tx,
            items.flatMap((i) => (i.put === undefined ? [] : [i.put])),
            hasConcurrentWriters(client),
          );
          const resolved = new Set(
            (
              await tx.query<{ id: string }>(
                `UPDATE steward.intents i SET status = e->>1, after_hash = e->>2, error = e->>3, resolved_at = now()
                   FROM jsonb_array_elements($1::jsonb) AS e
                  WHERE i.id = (e->>0)::uuid AND i.status = 'pending'
                  RETURNING i.id::text AS id`,
                [JSON.stringify(items.map((item) => [item.intent.id, item.outcome.status, afterHashOf(item), item.outcome.error ?? null]))],
              )
            ).map((r) => r.id),
          );
          missing = items.filter((item) => !resolved.has(item.intent.id)).map((item) => item.intent.id);
          await appendAuditEntries(
            tx,
            items
              .filter((item) => resolved.has(item.intent.id))
              .map((item) => ({
                actor: item.intent.actor,
                runId: item.intent.runId,
                address: item.intent.address,
                action: item.intent.action,
                beforeHash: item.intent.beforeHash,
                afterHash: afterHashOf(item),
                outcome: item.outcome.status,
                error: item.outcome.error ?? null,
                detail: auditDetail(item.intent.id, toJsonValue(item.outcome.detail)),
              })),
          );
        });
      } catch (error) {
        throw auditWriteFailed(error);
      }
      if (missing.length === 1) throw new StewardError('not-found', `intent '${missing[0]!}' is not pending (unknown or already resolved)`);
      if (missing.length > 1) throw new StewardError('not-found', `intent(s) ${missing.join(', ')} not pending (unknown or already resolved)`);
    },

    async resolveIntent(intent: Intent, outcome: IntentOutcome): Promise<void> {
      await repository.completeIntents([{ intent, outcome }]);
    },

    async unresolvedIntents(): Promise<readonly Intent[]> {
      const rows = await client.query<IntentRow>(
        `SELECT ${INTENT_COLUMNS} FROM steward.intents WHERE status = 'pending' ORDER BY created_at, id`,
      );
      return rows.map(toIntent);
    },
  };
  return repository;
}
