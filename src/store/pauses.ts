import { StewardError, errorMessage } from '../core/errors.js';
import { formatScope, parseScope } from '../core/scope.js';
import { appendAuditEntry, auditWriteFailed } from './audit-log.js';
import type { PauseInput, PauseRecord, PauseStore } from './pause-types.js';
import { isoTimestamp, sqlState, type SqlClient, type SqlQueryable } from './sql-client.js';

interface PauseRow {
  readonly id: string;
  readonly scope: string;
  readonly reason: string;
  readonly actor: string;
  readonly created_at: string;
}

const COLUMNS = `id::text AS id, scope, reason, actor, ${isoTimestamp('created_at')} AS created_at`;

const toRecord = (row: PauseRow): PauseRecord => ({
  id: row.id,
  scope: row.scope,
  reason: row.reason,
  actor: row.actor,
  createdAt: row.created_at,
});

/** The canonical scope text, so `labels:b=2,a=1` and `labels:a=1,b=2` are one pause. */
function canonicalScope(text: string): string {
  const parsed = parseScope(text);
  if (!parsed.ok) throw new StewardError('invalid-input', parsed.error);
  return formatScope(parsed.scope);
}

/** The audit entry's address: the resource for a resource scope, none otherwise. */
function addressOf(scope: string): string | null {
  return scope.startsWith('resource:') ? scope.slice('resource:'.length) : null;
}

async function activeIn(q: SqlQueryable, scope: string): Promise<PauseRow | undefined> {
  const [row] = await q.query<PauseRow>(`SELECT ${COLUMNS} FROM steward.pauses WHERE scope = $1 AND resumed_at IS NULL`, [scope]);
  return row;
}

export function createPauseStore(client: SqlClient): PauseStore {
  return {
    async pause(p: PauseInput): Promise<PauseRecord> {
      const scope = canonicalScope(p.scope);
      const reason = p.reason.trim();
      if (reason === '') throw new StewardError('invalid-input', 'a pause needs a reason (--reason) saying why');
      const attempt = (): Promise<PauseRecord> =>
        client.transaction(async (tx) => {
          const existing = await activeIn(tx, scope);
          const row =
            existing ??
            (
              await tx.query<PauseRow>(
                `INSERT INTO steward.pauses (scope, reason, actor) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
                [scope, reason, p.actor],
              )
            )[0]!;
          await appendAuditEntry(tx, {
            actor: p.actor,
            runId: null,
            address: addressOf(scope),
            action: 'pause',
            beforeHash: null,
            afterHash: null,
            outcome: 'info',
            error: null,
            detail:
              existing === undefined
                ? { pauseId: row.id, scope, reason }
                : { pauseId: row.id, scope, reason, alreadyPaused: { by: existing.actor, reason: existing.reason } },
          });
          return toRecord(row);
        });
      try {
        return await attempt();
      } catch (error) {
        // Two pauses of one scope at once: the unique index lets one in; the other sees it on retry.
        if (sqlState(error) === '23505') {
          try {
            return await attempt();
          } catch (retryError) {
            throw auditWriteFailed(retryError);
          }
        }
        throw auditWriteFailed(error);
      }
    },

    async resume(p: { readonly scope: string; readonly actor: string }): Promise<boolean> {
      const scope = canonicalScope(p.scope);
      try {
        return await client.transaction(async (tx) => {
          const rows = await tx.query<PauseRow>(
            `UPDATE steward.pauses SET resumed_at = now(), resumed_by = $2
              WHERE scope = $1 AND resumed_at IS NULL
              RETURNING ${COLUMNS}`,
            [scope, p.actor],
          );
          const row = rows[0];
          if (row === undefined) return false;
          await appendAuditEntry(tx, {
            actor: p.actor,
            runId: null,
            address: addressOf(scope),
            action: 'resume',
            beforeHash: null,
            afterHash: null,
            outcome: 'info',
            error: null,
            detail: { pauseId: row.id, scope, pausedBy: row.actor, reason: row.reason, pausedAt: row.created_at },
          });
          return true;
        });
      } catch (error) {
        throw auditWriteFailed(error);
      }
    },

    async active(): Promise<readonly PauseRecord[]> {
      try {
        const rows = await client.query<PauseRow>(`SELECT ${COLUMNS} FROM steward.pauses WHERE resumed_at IS NULL ORDER BY id`);
        return rows.map(toRecord);
      } catch (error) {
        throw new StewardError('store-unavailable', `could not read the pauses: ${errorMessage(error)}`, { cause: error });
      }
    },
  };
}
