import type { Command } from 'commander';
import { StewardError } from '../../core/index.js';
import { listSecrets, readSecret, rekey, setSecret } from '../../app/index.js';
import { decodeKey } from '../../secrets/index.js';
import type { CommandContext } from '../context.js';
import { renderTable } from '../render/table.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Enter the value, then press Ctrl-D:\n');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline is what `echo` and editors add; it is not part of the value.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function registerSecret(program: Command, ctx: CommandContext, exit: (code: number) => void): void {
  const secret = program.command('secret').description('Secrets kept encrypted in the state store (envelope encryption under the master key)');

  secret
    .command('list')
    .description('List secrets and their versions; values are shown as (sensitive) hmac:... only')
    .option('--json', 'print JSON', false)
    .action(async (flags: { readonly json: boolean }, command: Command) => {
      ctx.json = flags.json;
      const secrets = await listSecrets(ctx.project(command, 'secret list'));
      if (flags.json) ctx.output.out(JSON.stringify({ formatVersion: '1', command: 'secret list', secrets }, null, 2));
      else {
        const rows = secrets.flatMap((s) =>
          s.versions.length === 0
            ? [[s.name, '-', 'no value yet', '', s.owner ?? '']]
            : s.versions.map((v) => [s.name, String(v.version), v.state, v.state === 'destroyed' ? '' : v.value, s.owner ?? '']),
        );
        ctx.output.out(rows.length === 0 ? 'No secrets.' : renderTable(['SECRET', 'VERSION', 'STATE', 'VALUE', 'OWNER'], rows));
      }
      exit(0);
    });

  secret
    .command('get <name>')
    .description('Print the current value: only to a terminal, or with --reveal; every read is audited')
    .option('--reveal', 'print even when stdout is not a terminal (a pipe or a file)', false)
    .option('--version <n>', 'an older version still kept')
    .action(async (name: string, flags: { readonly reveal: boolean; readonly version?: string }, command: Command) => {
      if (!flags.reveal && process.stdout.isTTY !== true) {
        throw new StewardError('invalid-input', 'stdout is not a terminal: refusing to print a secret into a pipe or file; add --reveal if that is intended');
      }
      const version = flags.version === undefined ? undefined : Number(flags.version);
      if (version !== undefined && !Number.isInteger(version)) throw new StewardError('invalid-input', `--version must be a version number, not "${flags.version}"`);
      const read = await readSecret(ctx.project(command, 'secret get'), name, flags.reveal ? 'secret get --reveal' : 'secret get (terminal)', version);
      process.stdout.write(`${read.value}\n`);
      exit(0);
    });

  secret
    .command('set <name>')
    .description('Store a new value of a declared external Secret, read from stdin (never from an argument)')
    .action(async (name: string, _flags: unknown, command: Command) => {
      const options = ctx.project(command, 'secret set');
      const value = await readStdin();
      const written = await setSecret(options, name, value);
      ctx.output.out(`Secret/${name} version ${written.version} is current: (sensitive) ${written.hmac}`);
      exit(0);
    });

  secret
    .command('rekey')
    .description('Rewrap every data key under a new master key, in one transaction; ciphertexts are untouched')
    .option('--new-key-env <var>', 'take the new key (32 bytes, base64) from this environment variable instead of generating one')
    .action(async (flags: { readonly newKeyEnv?: string }, command: Command) => {
      const options = ctx.project(command, 'secret rekey');
      let next;
      if (flags.newKeyEnv !== undefined) {
        const text = options.env[flags.newKeyEnv];
        if (text === undefined || text.trim() === '') throw new StewardError('invalid-input', `environment variable ${flags.newKeyEnv} is not set`);
        next = decodeKey(text, flags.newKeyEnv);
      }
      const report = await rekey(options, next);
      ctx.output.out(`Rewrapped ${report.rewrapped} data key(s): master key ${report.from} -> ${report.to} (kept in ${report.keptIn}).`);
      exit(0);
    });
}
