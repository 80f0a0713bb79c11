import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { access } from 'node:fs/promises';
import type { Command } from 'commander';
import { StewardError } from '../../core/index.js';
import { withStore } from '../../app/index.js';
import { exportAuditJsonl } from '../../store/audit-export.js';
import { parseAuditHead, verifyAuditFile } from '../../store/audit-file.js';
import type { AuditEntry, AuditVerification } from '../../store/index.js';
import { batchIntentAddresses } from '../../store/audit-pages.js';
import type { CommandContext } from '../context.js';
import { renderTable } from '../render/table.js';

interface VerifyFlags {
  readonly json: boolean;
  readonly file?: string;
  readonly head?: string;
}

interface ListFlags {
  readonly json: boolean;
  readonly address?: string;
  readonly run?: string;
  readonly limit?: string;
}

/**
 * The address column of an entry without one: a batch's intents entry names the address asked
 * about, or how many changes it records (`--json` shows each).
 */
function batchAddresses(entry: AuditEntry, asked: string | undefined): string {
  const addresses = batchIntentAddresses(entry);
  if (addresses === undefined) return '-';
  return asked ?? `(${addresses.length} changes)`;
}

export function registerAudit(program: Command, ctx: CommandContext, exit: (code: number) => void): void {
  const audit = program.command('audit').description('Read and verify the tamper-evident audit log');

  audit
    .command('list')
    .description('Show audit entries, oldest first')
    .option('--address <address>', 'only entries about this resource')
    .option('--run <id>', 'only entries of this run')
    .option('--limit <n>', 'only the last n entries')
    .option('--json', 'print JSON', false)
    .action(async (flags: ListFlags, command: Command) => {
      ctx.json = flags.json;
      const limit = flags.limit === undefined ? undefined : Number(flags.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
        throw new StewardError('invalid-input', `--limit must be a positive whole number, not "${flags.limit}"`);
      }
      await withStore(ctx.project(command, 'audit list'), async (store) => {
        const entries = await store.audit.list({ address: flags.address, runId: flags.run, last: limit });
        const out = ctx.output;
        if (flags.json) {
          out.out(JSON.stringify(entries, null, 2));
          return;
        }
        if (entries.length === 0) {
          out.out('The audit log has no matching entries.');
          return;
        }
        const outcome = (o: string): string => (o === 'failed' ? out.color.red(o) : o === 'succeeded' ? out.color.green(o) : o);
        out.out(
          renderTable(
            ['SEQ', 'TIME', 'ACTOR', 'ACTION', 'ADDRESS', 'OUTCOME', 'ERROR'],
            entries.map((e) => [String(e.seq), e.time, e.actor, e.action, e.address ?? batchAddresses(e, flags.address), outcome(e.outcome), e.error ?? '']),
          ),
        );
      });
      exit(0);
    });

  audit
    .command('verify')
    .description('Recompute the hash chain and report any edited, deleted or reordered entry (exit 1 if any)')
    .option('--file <file>', 'verify an export (audit export --format jsonl) instead of the store; needs no database')
    .option('--head <seq:hash>', 'with --file: the live head the export must reach (printed by audit export), to catch a cut-off end')
    .option('--json', 'print JSON', false)
    .action(async (flags: VerifyFlags, command: Command) => {
      ctx.json = flags.json;
      const report = (result: AuditVerification, what: string, extra = ''): void => {
        const out = ctx.output;
        if (flags.json) {
          out.out(JSON.stringify(result, null, 2));
          return;
        }
        if (result.ok) {
          out.out(`${out.color.green(out.color.bold(`${what} intact:`))} ${result.entries} entries, every hash and link verified.${extra}`);
          return;
        }
        out.err(`${out.color.red(out.color.bold(`${what} tampered:`))} ${result.problems.length} problem(s) in ${result.entries} entries`);
        for (const p of result.problems) out.err(`  entry ${p.seq}: ${p.problem}: ${p.message}`);
      };
      if (flags.head !== undefined && flags.file === undefined) throw new StewardError('invalid-input', '--head only applies with --file');
      if (flags.file !== undefined) {
        const file = flags.file;
        ctx.project(command, 'audit verify');
        const head = flags.head === undefined ? undefined : parseAuditHead(flags.head);
        if (flags.head !== undefined && head === undefined) {
          throw new StewardError('invalid-input', `--head must be SEQ:HASH (a seq and a 64-digit hex hash), not "${flags.head}"`);
        }
        await access(file).catch(() => {
          throw new StewardError('invalid-input', `--file: cannot read ${file}`);
        });
        const result = await verifyAuditFile(file, head);
        const tail = result.lastSeq === 0 ? '' : ` Last entry ${result.lastSeq}, hash ${result.lastHash ?? ''}`;
        const unchecked = result.headChecked ? '' : ' (compare it with the live head, or pass --head, to rule out entries cut off the end)';
        report(result, `Export ${file}`, tail === '' ? '' : `${tail}${unchecked}.`);
        return exit(result.ok ? 0 : 1);
      }
      let ok = false;
      await withStore(ctx.project(command, 'audit verify'), async (store) => {
        const result = await store.audit.verify();
        ok = result.ok;
        report(result, 'Audit log');
      });
      exit(ok ? 0 : 1);
    });

  audit
    .command('export')
    .description('Write every audit entry as JSON Lines, oldest first')
    .option('--format <format>', 'output format (jsonl)', 'jsonl')
    .option('-o, --out <file>', 'write to a file instead of standard output')
    .action(async (flags: { readonly format: string; readonly out?: string }, command: Command) => {
      if (flags.format !== 'jsonl') throw new StewardError('invalid-input', `--format must be jsonl, not "${flags.format}"`);
      await withStore(ctx.project(command, 'audit export'), async (store) => {
        const file = flags.out ? createWriteStream(flags.out) : undefined;
        if (file) await once(file, 'open');
        const summary = await exportAuditJsonl(store.audit, file ?? process.stdout);
        if (file) await new Promise<void>((resolve, reject) => file.end((error?: Error | null) => (error ? reject(error) : resolve())));
        const where = flags.out ? ` to ${flags.out}` : '';
        const anchor =
          summary.lastHash === null
            ? ''
            : `; last entry ${summary.lastSeq}, hash ${summary.lastHash}. Check it offline with \`steward audit verify --file ${flags.out ?? 'FILE'} --head ${summary.lastSeq}:${summary.lastHash}\``;
        ctx.output.err(`Exported ${summary.entries} audit entries${where}${anchor}`);
      });
      exit(0);
    });
}
