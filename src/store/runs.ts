import { randomUUID } from 'node:crypto';
import { StewardError } from '../core/errors.js';
import { appendAuditEntry, auditWriteFailed } from './audit-log.js';
import { isUuid } from './ids.js';
import { nullableJsonParam, toJsonValue } from './json.js';
import type { SqlClient } from './sql-client.js';
import type { RunInput, RunStatus } from './types.js';

export interface RunRepository {
  startRun(run: RunInput): Promise<string>;
  finishRun(runId: string, status: RunStatus, summary: unknown): Promise<void>;
}

const STATUSES: ReadonlySet<string> = new Set<RunStatus>(['succeeded', 'failed', 'partial']);

/**
 * A run is one invocation that may change things (apply, destroy, an agent cycle). Its start and
 * finish are audited in the same transaction as the run row, so the log shows what ran.
 */
export function createRunRepository(client: SqlClient): RunRepository {
  return {
    async startRun(run: RunInput): Promise<string> {
      const id = randomUUID();
      try {
        await client.transaction(async (tx) => {
          await tx.query(`INSERT INTO steward.runs (id, command, actor, status) VALUES ($1, $2, $3, 'running')`, [
            id,
            run.command,
            run.actor,
          ]);
          await appendAuditEntry(tx, {
            actor: run.actor,
            runId: id,
            address: null,
            action: 'run.start',
            beforeHash: null,
            afterHash: null,
            outcome: 'info',
            error: null,
            detail: { command: run.command },
          });
        });
      } catch (error) {
        throw auditWriteFailed(error);
      }
      return id;
    },

    async finishRun(runId: string, status: RunStatus, summary: unknown): Promise<void> {
      if (!STATUSES.has(status)) throw new StewardError('invalid-input', `unknown run status '${String(status)}'`);
      const notRunning = (): StewardError => new StewardError('not-found', `there is no running run with id '${runId}'`);
      if (!isUuid(runId)) throw notRunning();
      let finished = false;
      try {
        await client.transaction(async (tx) => {
          const rows = await tx.query<{ actor: string }>(
            `UPDATE steward.runs SET status = $2, summary = $3::jsonb, finished_at = now()
              WHERE id = $1 AND status = 'running'
              RETURNING actor`,
            [runId, status, nullableJsonParam(summary)],
          );
          const row = rows[0];
          if (row === undefined) return;
          finished = true;
          await appendAuditEntry(tx, {
            actor: row.actor,
            runId,
            address: null,
            action: 'run.finish',
            beforeHash: null,
            afterHash: null,
            outcome: status === 'succeeded' ? 'succeeded' : 'failed',
            error: null,
            detail: { status, summary: toJsonValue(summary) },
          });
        });
      } catch (error) {
        throw auditWriteFailed(error);
      }
      if (!finished) throw notRunning();
    },
  };
}
