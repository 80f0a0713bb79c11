import type { Command } from 'commander';
import { StewardError } from '../../core/index.js';
import { currentActor, withStore } from '../../app/index.js';
import type { CommandContext } from '../context.js';
import { renderTable } from '../render/table.js';

function limitOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new StewardError('invalid-input', `--limit must be a positive whole number, not "${text}"`);
  return n;
}

export function registerState(program: Command, ctx: CommandContext, exit: (code: number) => void): void {
  const state = program.command('state').description('Inspect and edit what Steward has recorded about the resources it manages');

  state
    .command('list')
    .description('List every resource in the state')
    .option('--json', 'print JSON', false)
    .action(async (flags: { readonly json: boolean }, command: Command) => {
      ctx.json = flags.json;
      await withStore(ctx.project(command, 'state list'), async (store) => {
        const records = await store.listResources();
        if (flags.json) ctx.output.out(JSON.stringify(records, null, 2));
        else if (records.length === 0) ctx.output.out('The state is empty: nothing has been applied yet.');
        else ctx.output.out(renderTable(['ADDRESS', 'TARGET', 'VERSION', 'UPDATED'], records.map((r) => [r.address, r.target ?? '', String(r.version), r.updatedAt])));
      });
      exit(0);
    });

  state
    .command('show')
    .description('Show the recorded attributes of one resource')
    .argument('<address>', 'resource address, e.g. PostgresRole/app')
    .option('--json', 'print JSON', false)
    .action(async (address: string, flags: { readonly json: boolean }, command: Command) => {
      ctx.json = flags.json;
      await withStore(ctx.project(command, 'state show'), async (store) => {
        const record = await store.getResource(address);
        if (!record) throw new StewardError('not-found', `${address} is not in the state; \`steward state list\` shows what is`);
        if (flags.json) {
          ctx.output.out(JSON.stringify(record, null, 2));
          return;
        }
        const lines = [
          `${ctx.output.color.bold(record.address)} (version ${record.version})`,
          `  target:       ${record.target ?? '-'}`,
          `  spec hash:    ${record.specHash}`,
          `  depends on:   ${record.dependencies.join(', ') || '-'}`,
          `  protect:      ${record.protect}`,
          `  created:      ${record.createdAt}`,
          `  updated:      ${record.updatedAt}`,
          '  attributes:',
          ...Object.entries(record.attributes).map(([k, v]) => `    ${k} = ${JSON.stringify(v)}`),
        ];
        ctx.output.out(lines.join('\n'));
      });
      exit(0);
    });

  state
    .command('history')
    .description('Show the recorded versions of one resource, or of all, newest first')
    .argument('[address]', 'resource address')
    .option('--limit <n>', 'at most this many entries', '50')
    .option('--json', 'print JSON', false)
    .action(async (address: string | undefined, flags: { readonly json: boolean; readonly limit: string }, command: Command) => {
      ctx.json = flags.json;
      await withStore(ctx.project(command, 'state history'), async (store) => {
        const entries = await store.history(address, limitOf(flags.limit));
        if (flags.json) ctx.output.out(JSON.stringify(entries, null, 2));
        else if (entries.length === 0) ctx.output.out(address ? `No history for ${address}.` : 'No history yet.');
        else ctx.output.out(renderTable(['RECORDED', 'ADDRESS', 'VERSION', 'ACTION', 'RUN'], entries.map((e) => [e.recordedAt, e.address, String(e.version), e.action, e.runId])));
      });
      exit(0);
    });

  state
    .command('rm')
    .description('Stop managing a resource: forget it in the state without touching the live resource')
    .argument('<address>', 'resource address')
    .action(async (address: string, _flags: unknown, command: Command) => {
      const options = ctx.project(command, 'state rm');
      await withStore(options, async (store) => {
        const record = await store.getResource(address);
        if (!record) throw new StewardError('not-found', `${address} is not in the state; \`steward state list\` shows what is`);
        const lock = await store.acquireApplyLock({ timeoutMs: options.lockTimeoutMs });
        try {
          const actor = currentActor(options.env);
          const runId = await store.startRun({ command: 'state rm', actor });
          await store.audit.append({ actor, runId, address, action: 'state.rm', beforeHash: record.specHash, afterHash: null, outcome: 'succeeded', error: null, detail: { reason: 'removed from the state by hand; the live resource is untouched' } });
          await store.removeResource(address, { runId, action: 'delete' });
          await store.finishRun(runId, 'succeeded', { removed: address });
        } finally {
          await lock.release();
        }
        ctx.output.out(`Removed ${address} from the state. The live resource was not changed.`);
      });
      exit(0);
    });
}
