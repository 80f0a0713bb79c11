import { randomUUID } from 'node:crypto';
import { StewardError } from '../core/errors.js';
import type { JsonValue } from '../core/resource.js';
import { appendAuditEntry, auditWriteFailed } from './audit-log.js';
import { isUuid } from './ids.js';
import { nullableJsonParam, toJsonValue } from './json.js';
import { isoTimestamp, type SqlClient } from './sql-client.js';
import type { Intent, IntentInput, IntentOutcome } from './types.js';

export interface IntentRepository {
  recordIntent(intent: IntentInput): Promise<Intent>;
  resolveIntent(intent: Intent, outcome: IntentOutcome): Promise<void>;
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

/** The audit detail of an intent's entries: which intent, plus whatever the caller attached. */
function auditDetail(intentId: string, detail: unknown): JsonValue {
  const value = toJsonValue(detail);
  return value === null ? { intentId } : { intentId, detail: value };
}

/**
 * Intents make a crash visible: one is recorded (with its 'pending' audit entry) before every
 * mutation and resolved (with its outcome's entry) after it. Both steps are single transactions
 * and fail closed: if the audit entry cannot be written, nothing is written and the caller gets
 * `audit-write-failed`.
 */
export function createIntentRepository(client: SqlClient): IntentRepository {
  return {
    async recordIntent(intent: IntentInput): Promise<Intent> {
      const id = randomUUID();
      try {
        return await client.transaction(async (tx) => {
          const [row] = await tx.query<IntentRow>(
            `INSERT INTO steward.intents (id, run_id, actor, address, action, before_hash, after_hash, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
             RETURNING ${INTENT_COLUMNS}`,
            [
              id,
              intent.runId,
              intent.actor,
              intent.address,
              intent.action,
              intent.beforeHash,
              intent.afterHash,
              nullableJsonParam(intent.detail),
            ],
          );
          if (row === undefined) throw new Error('the intent row was not returned');
          await appendAuditEntry(tx, {
            actor: intent.actor,
            runId: intent.runId,
            address: intent.address,
            action: intent.action,
            beforeHash: intent.beforeHash,
            afterHash: intent.afterHash,
            outcome: 'pending',
            error: null,
            detail: auditDetail(id, intent.detail),
          });
          return toIntent(row);
        });
      } catch (error) {
        throw auditWriteFailed(error);
      }
    },

    async resolveIntent(intent: Intent, outcome: IntentOutcome): Promise<void> {
      if (!OUTCOMES.has(outcome.status)) {
        throw new StewardError('invalid-input', `unknown intent outcome '${String(outcome.status)}'`);
      }
      const afterHash = outcome.afterHash === undefined ? intent.afterHash : outcome.afterHash;
      const notPending = (): StewardError =>
        new StewardError('not-found', `intent '${intent.id}' is not pending (unknown or already resolved)`);
      if (!isUuid(intent.id)) throw notPending();
      let resolved = false;
      try {
        await client.transaction(async (tx) => {
          const rows = await tx.query(
            `UPDATE steward.intents SET status = $2, after_hash = $3, error = $4, resolved_at = now()
              WHERE id = $1 AND status = 'pending'
              RETURNING id`,
            [intent.id, outcome.status, afterHash, outcome.error ?? null],
          );
          if (rows.length === 0) return;
          resolved = true;
          await appendAuditEntry(tx, {
            actor: intent.actor,
            runId: intent.runId,
            address: intent.address,
            action: intent.action,
            beforeHash: intent.beforeHash,
            afterHash,
            outcome: outcome.status,
            error: outcome.error ?? null,
            detail: auditDetail(intent.id, outcome.detail),
          });
        });
      } catch (error) {
        throw auditWriteFailed(error);
      }
      if (!resolved) throw notPending();
    },

    async unresolvedIntents(): Promise<readonly Intent[]> {
      const rows = await client.query<IntentRow>(
        `SELECT ${INTENT_COLUMNS} FROM steward.intents WHERE status = 'pending' ORDER BY created_at, id`,
      );
      return rows.map(toIntent);
    },
  };
}
