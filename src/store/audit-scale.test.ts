import { afterAll, describe, expect, inject, it } from 'vitest';
import { canonicalJson } from '../core/hash.js';
import { GENESIS_HASH, auditHash, type AuditRowContent } from './audit-hash.js';
import { backends } from './test-support/backends.js';

/**
 * The scale target: verifying 1,000,000 entries in under 10 s on each backend. Filling the log
 * takes far longer than verifying it, so this runs only on request:
 *   STEWARD_AUDIT_SCALE=1000000 npx vitest run src/store/audit-scale
 */
const ENTRIES = Number(process.env['STEWARD_AUDIT_SCALE'] ?? 0);

describe.runIf(ENTRIES > 0).each(backends(inject('pg')))('audit log at scale on the $name backend', (backend) => {
  afterAll(() => backend.dispose());

  it(`verifies ${ENTRIES} entries in under 10 s`, async () => {
    const { store, client } = await (await backend.site()).open();
    try {
      // A valid chain written straight into the table, 20,000 rows per statement.
      let prevHash = GENESIS_HASH;
      for (let start = 1; start <= ENTRIES; start += 20_000) {
        const rows: Record<string, unknown>[] = [];
        for (let seq = start; seq < start + 20_000 && seq <= ENTRIES; seq++) {
          const content: AuditRowContent = {
            seq,
            time: new Date(1_700_000_000_000 + seq * 1000).toISOString(),
            actor: 'alice@ci-runner',
            runId: '48967938-02a8-4f56-8aa7-9a628010f53e',
            address: `PostgresRole/bot-${seq % 1000}`,
            action: 'update',
            beforeHash: 'a'.repeat(64),
            afterHash: 'b'.repeat(64),
            outcome: 'succeeded',
            error: null,
            detail: canonicalJson({ intentId: '48967938-02a8-4f56-8aa7-9a628010f53e' }),
            prevHash,
          };
          prevHash = auditHash(content);
          const { runId, beforeHash, afterHash, prevHash: prev, ...rest } = content;
          rows.push({ ...rest, run_id: runId, before_hash: beforeHash, after_hash: afterHash, prev_hash: prev, hash: prevHash });
        }
        await client.query(
          'INSERT INTO steward.audit_log SELECT * FROM json_populate_recordset(NULL::steward.audit_log, $1::json)',
          [JSON.stringify(rows)],
        );
      }
      await client.query('UPDATE steward.audit_head SET last_seq = $1, last_hash = $2 WHERE id = 1', [ENTRIES, prevHash]);
      await client.exec('VACUUM ANALYZE steward.audit_log');

      const started = Date.now();
      const result = await store.audit.verify();
      const elapsed = Date.now() - started;
      console.log(`${backend.name}: verified ${result.entries} entries in ${elapsed} ms`);
      expect(result).toEqual({ ok: true, entries: ENTRIES, problems: [] });
      expect(elapsed).toBeLessThan(10_000);
    } finally {
      await store.close();
    }
  }, 600_000);
});
