import { randomUUID } from 'node:crypto';
import { StewardError } from '../core/errors.js';
import type { JsonValue } from '../core/resource.js';
import { appendAuditEntries, auditWriteFailed } from './audit-log.js';
import { isUuid } from './ids.js';
import { toJsonValue } from './json.js';
import { hasConcurrentWriters, isoTimestamp, type SqlClient, type SqlQueryable } from './sql-client.js';
import { putResourcesIn } from './state-repo.js';
import type { AuditInput, Intent, IntentCompletion, IntentInput, IntentOutcome } from './types.js';
import { BATCH_INTENTS_ACTION } from './audit-pages.js';

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
  readonly group_id: string | null;
}

/**
 * Pending intents kept in rows: their own, and the members of groups written before migration 9.
 * It does not read the audit log, so intents recorded one by one are still listed without it.
 */
const PENDING_IN_ROWS = `
SELECT id::text AS id, run_id::text AS run_id, actor, address, action, before_hash, after_hash, detail,
       ${isoTimestamp('created_at')} AS created_at, NULL::text AS group_id
  FROM steward.intents WHERE status = 'pending'
UNION ALL
SELECT m->>0, g.run_id::text, m->>1, m->>2, m->>3, m->>4, m->>5, nullif(m->6, 'null'::jsonb),
       ${isoTimestamp('g.created_at')}, g.id::text
  FROM steward.intent_groups g CROSS JOIN LATERAL jsonb_array_elements(g.members) AS m
 WHERE g.status = 'pending' AND g.members IS NOT NULL`;

/** Pending groups whose members are in their audit entry (migration 9). */
const PENDING_IN_AUDIT = `
SELECT m.id, g.run_id::text, m.actor, m.address, m.action, m.before_hash, m.after_hash, m.detail,
       ${isoTimestamp('g.created_at')}, g.id::text
  FROM steward.intent_groups g CROSS JOIN LATERAL steward.intent_group_members(g.id) AS m
 WHERE g.status = 'pending' AND g.members IS NULL`;

const OUTCOMES: ReadonlySet<string> = new Set<IntentOutcome['status']>(['succeeded', 'failed', 'recovered']);

function toIntent(row: IntentRow): Intent {
  const intent: Intent = {
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
  return row.group_id === null ? intent : { ...intent, group: row.group_id };
}

/** Intent ids as a PostgreSQL array literal (`uuid[]`): UUIDs need no quoting. */
const idArray = (ids: readonly string[]): string => `{${ids.join(',')}}`;

/** The audit detail of an intent's entries: which intent, plus whatever the caller attached (already a JSON value). */
function auditDetail(intentId: string, detail: JsonValue): JsonValue {
  return detail === null ? { intentId } : { intentId, detail };
}

/** The 'pending' audit entry of an intent recorded on its own. */
const pendingEntry = (intent: Intent): AuditInput => ({
  actor: intent.actor,
  runId: intent.runId,
  address: intent.address,
  action: intent.action,
  beforeHash: intent.beforeHash,
  afterHash: intent.afterHash,
  outcome: 'pending',
  error: null,
  detail: auditDetail(intent.id, intent.detail),
});

/** One intent as a batch entry names it: what its own entry would hold (the outcome's hash and detail once resolved). */
interface BatchMember {
  readonly intent: Intent;
  readonly afterHash: string | null;
  readonly detail: JsonValue;
}

/**
 * The one audit entry of several intents of a group (one run, one actor) with the same outcome:
 * each intent with what its own entry would hold. A group's intents get one 'pending' entry, and
 * those that succeeded together one 'succeeded' entry (see `groupOutcomeEntries`): an apply of
 * 11,100 changes wrote an entry per intent and per outcome, about half of what it wrote to the
 * embedded store. Lookups by address still find them (see `audit-pages.ts`).
 */
const batchEntry = (group: string, outcome: 'pending' | 'succeeded', members: readonly BatchMember[]): AuditInput => ({
  actor: members[0]!.intent.actor,
  runId: members[0]!.intent.runId,
  address: null,
  action: BATCH_INTENTS_ACTION,
  beforeHash: null,
  afterHash: null,
  outcome,
  error: null,
  detail: {
    group,
    intents: members.map(({ intent: i, afterHash, detail }) => ({ intentId: i.id, address: i.address, action: i.action, beforeHash: i.beforeHash, afterHash, detail })),
  },
});

const afterHashOf = (item: IntentCompletion): string | null => (item.outcome.afterHash === undefined ? item.intent.afterHash : item.outcome.afterHash);

/** The outcome entry of one intent. */
const outcomeEntry = (item: IntentCompletion): AuditInput => ({
  actor: item.intent.actor,
  runId: item.intent.runId,
  address: item.intent.address,
  action: item.intent.action,
  beforeHash: item.intent.beforeHash,
  afterHash: afterHashOf(item),
  outcome: item.outcome.status,
  error: item.outcome.error ?? null,
  detail: auditDetail(item.intent.id, toJsonValue(item.outcome.detail)),
});

/**
 * The outcome entries of a group resolved at once: its members that succeeded share one entry (as
 * its intents share their 'pending' one); any other outcome keeps an entry of its own, with its
 * error, so an entry's outcome is every change's it names.
 */
function groupOutcomeEntries(group: string, members: readonly IntentCompletion[]): readonly AuditInput[] {
  const succeeded = members.filter((m) => m.outcome.status === 'succeeded');
  if (succeeded.length < 2) return members.map(outcomeEntry);
  const shared = batchEntry(
    group,
    'succeeded',
    succeeded.map((m) => ({ intent: m.intent, afterHash: afterHashOf(m), detail: toJsonValue(m.outcome.detail) })),
  );
  return [shared, ...members.filter((m) => m.outcome.status !== 'succeeded').map(outcomeEntry)];
}

/** The outcomes as one JSON array of [id, status, after_hash, error]. */
const outcomesJson = (items: readonly IntentCompletion[]): string =>
  JSON.stringify(items.map((item) => [item.intent.id, item.outcome.status, afterHashOf(item), item.outcome.error ?? null]));

/**
 * Resolves a group's intents at once when `items` are exactly its members and it is pending, and
 * says so. Otherwise (some members only) a pending group first moves its members to their own
 * rows, where `items` are then resolved one by one; a group already resolved leaves them unknown.
 * The outcomes themselves are in the audit entries the caller appends.
 */
async function resolveGroup(tx: SqlQueryable, group: string, items: readonly IntentCompletion[]): Promise<boolean> {
  const ids = items.map((i) => i.intent.id);
  // The usual case, in one statement: a pending group whose members are exactly these intents
  // (the row lock it takes makes the check and the update one step, as for any update). A group
  // written before migration 9 has its members as a JSON array instead of their ids.
  if (new Set(ids).size === ids.length) {
    const resolved = await tx.query(
      `UPDATE steward.intent_groups g SET status = 'resolved', resolved_at = now()
        WHERE g.id = $1::uuid AND g.status = 'pending'
          AND CASE WHEN g.member_ids IS NOT NULL THEN cardinality(g.member_ids) = $3 AND g.member_ids @> $2::uuid[]
                   ELSE jsonb_array_length(g.members) = $3
                        AND (SELECT count(*) FROM jsonb_array_elements(g.members) AS m WHERE (m->>0)::uuid = ANY ($2::uuid[])) = $3 END
        RETURNING 1`,
      [group, idArray(ids), ids.length],
    );
    if (resolved.length === 1) return true;
  }
  const [row] = await tx.query<{ status: string }>('SELECT status FROM steward.intent_groups WHERE id = $1::uuid FOR UPDATE', [group]);
  if (row === undefined || row.status !== 'pending') return false;
  await tx.query(
    `INSERT INTO steward.intents (id, run_id, actor, address, action, before_hash, after_hash, detail, created_at)
     SELECT m.id::uuid, g.run_id, m.actor, m.address, m.action, m.before_hash, m.after_hash, m.detail, g.created_at
       FROM steward.intent_groups g CROSS JOIN LATERAL steward.intent_group_members(g.id) AS m
      WHERE g.id = $1::uuid`,
    [group],
  );
  await tx.query(`UPDATE steward.intent_groups SET status = 'split' WHERE id = $1::uuid`, [group]);
  return false;
}

/**
 * Intents make a crash visible: one is recorded (with its 'pending' audit entry) before every
 * mutation and resolved (with its outcome's entry) after it. Both steps are single transactions
 * and fail closed: if the audit entry cannot be written, nothing is written and the caller gets
 * `audit-write-failed`. Several intents of one run recorded together are one group row (see
 * migration 7) with one 'pending' audit entry naming each of them (migration 8); each still has its
 * own id and its outcome; those that succeeded together share one outcome entry of the same shape.
 * The row names the 'pending' entry instead of keeping the members again (migration 9).
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
      const runId = intents[0]!.runId;
      const actor = intents[0]!.actor;
      const group = intents.length > 1 && intents.every((i) => i.runId === runId && i.actor === actor) ? randomUUID() : undefined;
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
          ...(group === undefined ? {} : { group }),
        }),
      );
      try {
        await client.transaction(async (tx) => {
          if (group !== undefined) {
            // The entry holds the members; the row names it and keeps their ids.
            const [entry] = await appendAuditEntries(tx, [batchEntry(group, 'pending', recorded.map((i) => ({ intent: i, afterHash: i.afterHash, detail: i.detail })))]);
            await tx.query(
              `INSERT INTO steward.intent_groups (id, run_id, created_at, audit_seq, member_ids) VALUES ($1::uuid, $2::uuid, $3::timestamptz, $4, $5::uuid[])`,
              [group, runId, createdAt, entry!.seq, idArray(recorded.map((i) => i.id))],
            );
          } else {
            await tx.query(
              `INSERT INTO steward.intents (id, run_id, actor, address, action, before_hash, after_hash, detail, created_at)
               SELECT (e->>0)::uuid, (e->>1)::uuid, e->>2, e->>3, e->>4, e->>5, e->>6,
                      nullif(e->7, 'null'::jsonb), $2::timestamptz
                 FROM jsonb_array_elements($1::jsonb) AS e`,
              [JSON.stringify(recorded.map((i) => [i.id, i.runId, i.actor, i.address, i.action, i.beforeHash, i.afterHash, i.detail])), createdAt],
            );
            await appendAuditEntries(tx, recorded.map(pendingEntry));
          }
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
        if (!isUuid(intent.id) || (intent.group !== undefined && !isUuid(intent.group))) {
          throw new StewardError('not-found', `intent '${intent.id}' is not pending (unknown or already resolved)`);
        }
      }
      const byGroup = new Map<string | undefined, IntentCompletion[]>();
      for (const item of items) {
        const list = byGroup.get(item.intent.group);
        if (list) list.push(item);
        else byGroup.set(item.intent.group, [item]);
      }
      let missing: readonly string[] = [];
      try {
        await client.transaction(async (tx) => {
          await putResourcesIn(
            tx,
            items.flatMap((i) => (i.put === undefined ? [] : [i.put])),
            hasConcurrentWriters(client),
          );
          const resolved = new Set<string>();
          const single: IntentCompletion[] = [];
          const entries: AuditInput[] = [];
          for (const [group, members] of byGroup) {
            if (group !== undefined && (await resolveGroup(tx, group, members))) {
              for (const m of members) resolved.add(m.intent.id);
              entries.push(...groupOutcomeEntries(group, members));
            } else single.push(...members);
          }
          if (single.length > 0) {
            const rows = await tx.query<{ id: string }>(
              `UPDATE steward.intents i SET status = e->>1, after_hash = e->>2, error = e->>3, resolved_at = now()
                 FROM jsonb_array_elements($1::jsonb) AS e
                WHERE i.id = (e->>0)::uuid AND i.status = 'pending'
                RETURNING i.id::text AS id`,
              [outcomesJson(single)],
            );
            for (const row of rows) resolved.add(row.id);
            entries.push(...single.filter((item) => resolved.has(item.intent.id)).map(outcomeEntry));
          }
          missing = items.filter((item) => !resolved.has(item.intent.id)).map((item) => item.intent.id);
          await appendAuditEntries(tx, entries);
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
      const [groups] = await client.query<{ any: boolean }>(
        'SELECT EXISTS (SELECT 1 FROM steward.intent_groups WHERE status = \'pending\' AND members IS NULL) AS any',
      );
      const pending = groups?.any === true ? `${PENDING_IN_ROWS} UNION ALL ${PENDING_IN_AUDIT}` : PENDING_IN_ROWS;
      const rows = await client.query<IntentRow>(`${pending} ORDER BY created_at, id`);
      return rows.map(toIntent);
    },
  };
  return repository;
}
