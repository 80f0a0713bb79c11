import { StewardError } from '../core/errors.js';
import type { JsonValue } from '../core/resource.js';
import { appendAuditEntry, auditWriteFailed } from './audit-log.js';
import { jsonParam, toJsonValue } from './json.js';
import { isoTimestamp, type SqlClient, type SqlQueryable } from './sql-client.js';
import type { ChangeRequest, ChangeRequestRepository, ChangeRequestStatus } from './change-request-types.js';

interface Row {
  readonly id: string;
  readonly address: string;
  readonly action: string;
  readonly plan_hash: string;
  readonly plan: JsonValue;
  readonly reason: string;
  readonly destructive: boolean;
  readonly proposer: string;
  readonly required_approvals: number;
  readonly status: ChangeRequestStatus;
  readonly outcome: string | null;
  readonly created_at: string;
  readonly expires_at: string;
  readonly closed_at: string | null;
}

const COLUMNS = `id::text AS id, address, action, plan_hash, plan, reason, destructive, proposer,
  required_approvals::int AS required_approvals, status, outcome, ${isoTimestamp('created_at')} AS created_at,
  ${isoTimestamp('expires_at')} AS expires_at, CASE WHEN closed_at IS NULL THEN NULL ELSE ${isoTimestamp('closed_at')} END AS closed_at`;

interface DecisionRow {
  readonly request_id: string;
  readonly approver: string;
  readonly decision: 'approve' | 'reject';
  readonly comment: string | null;
  readonly decided_at: string;
}

async function withDecisions(q: SqlQueryable, rows: readonly Row[]): Promise<readonly ChangeRequest[]> {
  if (rows.length === 0) return [];
  const decisions = await q.query<DecisionRow>(
    `SELECT request_id::text AS request_id, approver, decision, comment, ${isoTimestamp('decided_at')} AS decided_at
       FROM steward.change_request_decisions
      WHERE request_id IN (SELECT (jsonb_array_elements_text($1::jsonb))::bigint)
      ORDER BY decided_at, approver`,
    [jsonParam(rows.map((r) => r.id))],
  );
  return rows.map((row) => ({
    id: Number(row.id),
    address: row.address,
    action: row.action,
    planHash: row.plan_hash,
    plan: row.plan,
    reason: row.reason,
    destructive: row.destructive,
    proposer: row.proposer,
    requiredApprovals: row.required_approvals,
    status: row.status,
    outcome: row.outcome,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    closedAt: row.closed_at,
    decisions: decisions
      .filter((d) => d.request_id === row.id)
      .map((d) => ({ approver: d.approver, decision: d.decision, comment: d.comment, decidedAt: d.decided_at })),
  }));
}

async function fetchOne(q: SqlQueryable, id: number, lock = false): Promise<ChangeRequest | undefined> {
  const rows = await q.query<Row>(`SELECT ${COLUMNS} FROM steward.change_requests WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  return (await withDecisions(q, rows))[0];
}

function refused(message: string): StewardError {
  return new StewardError('invalid-input', message);
}

/** Change requests: proposals, decisions and their outcomes, each audited in the same transaction. */
export function createChangeRequestRepository(client: SqlClient): ChangeRequestRepository {
  const audited = async <T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> => {
    try {
      return await client.transaction(fn);
    } catch (error) {
      if (error instanceof StewardError && error.code !== 'audit-write-failed') throw error;
      throw auditWriteFailed(error);
    }
  };
  return {
    propose: (input) =>
      audited(async (tx) => {
        const [row] = await tx.query<{ id: string }>(
          `INSERT INTO steward.change_requests (address, action, plan_hash, plan, reason, destructive, proposer, required_approvals, status, expires_at)
           VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, 'pending', now() + ($9::bigint * interval '1 millisecond'))
           RETURNING id::text AS id`,
          [input.address, input.action, input.planHash, jsonParam(input.plan), input.reason, input.destructive, input.proposer, input.requiredApprovals, Math.max(1, Math.trunc(input.expiresInMs))],
        );
        const id = Number(row!.id);
        await appendAuditEntry(tx, {
          actor: input.proposer,
          runId: null,
          address: input.address,
          action: 'change.proposed',
          beforeHash: null,
          afterHash: input.planHash,
          outcome: 'info',
          error: null,
          detail: { changeRequest: id, action: input.action, reason: input.reason, destructive: input.destructive, requiredApprovals: input.requiredApprovals, goal: toJsonValue(input.goal), plan: toJsonValue(input.plan) },
        });
        return (await fetchOne(tx, id))!;
      }),

    get: (id) => fetchOne(client, id),

    async list(filter = {}) {
      const where: string[] = [];
      const params: string[] = [];
      if (filter.statuses && filter.statuses.length > 0) {
        params.push(jsonParam(filter.statuses));
        where.push(`status IN (SELECT jsonb_array_elements_text($${params.length}::jsonb))`);
      }
      if (filter.address !== undefined) {
        params.push(filter.address);
        where.push(`address = $${params.length}`);
      }
      const rows = await client.query<Row>(
        `SELECT ${COLUMNS} FROM steward.change_requests ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC`,
        params,
      );
      return withDecisions(client, rows);
    },

    decide: (input) =>
      audited(async (tx) => {
        const request = await fetchOne(tx, input.id, true);
        if (!request) throw new StewardError('not-found', `there is no change request ${input.id}`);
        if (request.status !== 'pending') throw refused(`change request ${input.id} is ${request.status}, not pending: it cannot be decided any more`);
        const [expired] = await tx.query<{ expired: boolean }>('SELECT expires_at <= now() AS expired FROM steward.change_requests WHERE id = $1', [input.id]);
        if (expired?.expired) throw refused(`change request ${input.id} expired at ${request.expiresAt}`);
        if (request.proposer === input.approver) {
          throw refused(`${input.approver} proposed change request ${input.id} and cannot also decide it (separation of duties)`);
        }
        if (request.decisions.some((d) => d.approver === input.approver)) {
          throw refused(`${input.approver} has already decided change request ${input.id}`);
        }
        await tx.query(`INSERT INTO steward.change_request_decisions (request_id, approver, decision, comment) VALUES ($1, $2, $3, $4)`, [
          input.id,
          input.approver,
          input.decision,
          input.comment ?? null,
        ]);
        const approvals = request.decisions.filter((d) => d.decision === 'approve').length + (input.decision === 'approve' ? 1 : 0);
        const status: ChangeRequestStatus = input.decision === 'reject' ? 'rejected' : approvals >= request.requiredApprovals ? 'approved' : 'pending';
        if (status !== 'pending') {
          await tx.query(`UPDATE steward.change_requests SET status = $2${status === 'rejected' ? ', closed_at = now()' : ''} WHERE id = $1`, [input.id, status]);
        }
        await appendAuditEntry(tx, {
          actor: input.approver,
          runId: null,
          address: request.address,
          action: input.decision === 'approve' ? 'change.approved' : 'change.rejected',
          beforeHash: null,
          afterHash: request.planHash,
          outcome: 'info',
          error: null,
          detail: { changeRequest: input.id, approvals, requiredApprovals: request.requiredApprovals, status, comment: input.comment ?? null },
        });
        return (await fetchOne(tx, input.id))!;
      }),

    close: (id, status, actor, outcome) =>
      audited(async (tx) => {
        const rows = await tx.query<{ address: string; plan_hash: string }>(
          `UPDATE steward.change_requests SET status = $2, outcome = $3, closed_at = now()
            WHERE id = $1 AND status IN ('pending', 'approved') RETURNING address, plan_hash`,
          [id, status, outcome],
        );
        const row = rows[0];
        if (!row) return false;
        await appendAuditEntry(tx, {
          actor,
          runId: null,
          address: row.address,
          action: `change.${status}`,
          beforeHash: null,
          afterHash: row.plan_hash,
          outcome: status === 'applied' ? 'succeeded' : status === 'failed' ? 'failed' : 'info',
          error: status === 'failed' ? outcome : null,
          detail: { changeRequest: id, outcome },
        });
        return true;
      }),

    expireDue: (actor) =>
      audited(async (tx) => {
        const rows = await tx.query<{ id: string; address: string; plan_hash: string }>(
          `UPDATE steward.change_requests SET status = 'expired', outcome = 'not decided before it expired', closed_at = now()
            WHERE status = 'pending' AND expires_at <= now() RETURNING id::text AS id, address, plan_hash`,
        );
        for (const row of rows) {
          await appendAuditEntry(tx, {
            actor,
            runId: null,
            address: row.address,
            action: 'change.expired',
            beforeHash: null,
            afterHash: row.plan_hash,
            outcome: 'info',
            error: null,
            detail: { changeRequest: Number(row.id) },
          });
        }
        return rows.length;
      }),

    async pendingCount() {
      const [row] = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM steward.change_requests WHERE status = 'pending'`);
      return row?.n ?? 0;
    },
  };
}
