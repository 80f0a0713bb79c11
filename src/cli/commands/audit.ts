import { createWriteStream } from 'node:fs';
import type { Command } from 'commander';
import { StewardError } from '../../core/index.js';
import { withStore } from '../../app/index.js';
import type { CommandContext } from '../context.js';
import { renderTable } from '../render/table.js';

interface ListFlags {
  readonly json: boolean;
  readonly address?: string;
  readonly run?: string;
  readonly limit?: string;
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
        const entries = await store.audit.list({ address: flags.address, runId: flags.run, limit });
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
            entries.map((e) => [String(e.seq), e.time, e.actor, e.action, e.address ?? '-', outcome(e.outcome), e.error ?? '']),
          ),
        );
      });
      exit(0);
    });

  audit
    .command('verify')
    .description('Recompute the hash chain and report any edited, deleted or reordered entry (exit 1 if any)')
    .option('--json', 'print JSON', false)
    .action(async (flags: { readonly json: boolean }, command: Command) => {
      ctx.json = flags.json;
      let ok = false;
      await withStore(ctx.project(command, 'audit verify'), async (store) => {
        const result = await store.audit.verify();
        ok = result.ok;
        const out = ctx.output;
        if (flags.json) {
          out.out(JSON.stringify(result, null, 2));
          return;
        }
        if (result.ok) {
          out.out(`${out.color.green(out.color.bold('Audit log intact:'))} ${result.entries} entries, every hash and link verified.`);
          return;
        }
        out.err(`${out.color.red(out.color.bold('Audit log tampered:'))} ${result.problems.length} problem(s) in ${result.entries} entries`);
        for (const p of result.problems) out.err(`  entry ${p.seq}: ${p.problem}: ${p.message}`);
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
        const stream = flags.out ? createWriteStream(flags.out) : process.stdout;
        const count = await store.audit.exportJsonl(
          (line) =>
            new Promise<void>((resolve, reject) => {
              stream.write(`${line}\n`, (error) => (error ? reject(error) : resolve()));
            }),
        );
        if (flags.out) {
          await new Promise<void>((resolve) => (stream as ReturnType<typeof createWriteStream>).end(resolve));
          ctx.output.err(`Exported ${count} audit entries to ${flags.out}`);
        }
      });
      exit(0);
    });
}
