import { spawn } from 'node:child_process';
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { checkoutRoot } from './package-root.js';

const root = checkoutRoot(import.meta.url);
const cli = join(root, 'bin/steward.js');

/** What the quickstart hands over to its last act. */
export interface AgentDemoContext {
  readonly project: string;
  readonly env: NodeJS.ProcessEnv;
  readonly server: { readonly host: string; readonly port: number; readonly user: string; readonly password: string };
  banner(text: string): void;
  steward(project: string, env: NodeJS.ProcessEnv, args: readonly string[], expected: readonly number[]): Promise<void>;
  admin(database: string, statements: readonly string[]): Promise<void>;
}

const AUTONOMY = `apiVersion: steward.dev/v1alpha1
kind: Autonomy
metadata:
  name: quickstart
spec:
  default: auto        # act on drift within the guardrails (observe and propose are the other modes)
`;

/** The agent's JSON log, condensed to what a person follows: what it watches, finds and fixes. */
function condensed(line: string): string | undefined {
  try {
    const entry = JSON.parse(line) as { msg?: string; address?: string; decision?: string; why?: string; durationMs?: number; channels?: { scope: string; mode: string }[] };
    switch (entry.msg) {
      case 'watching':
        return `agent: watching ${(entry.channels ?? []).map((c) => `${c.scope} (${c.mode})`).join(', ')}`;
      case 'drift detected':
        return `agent: drift detected on ${entry.address}: ${entry.decision} (${entry.why})`;
      case 'reconciled':
        return `agent: ${entry.address} reverted and verified in ${entry.durationMs} ms`;
      default:
        return undefined;
    }
  } catch {
    return line.trim() === '' ? undefined : `agent: ${line}`;
  }
}

/**
 * The quickstart's ending: `steward agent` runs in auto mode, an out-of-band GRANT is made by
 * hand, the agent detects it through the database's event trigger and revokes it, and the audit
 * log shows the drift observation and the action.
 */
export async function showAgentRevertingDrift(ctx: AgentDemoContext): Promise<void> {
  ctx.banner('Run the agent: steward agent watches the targets and keeps them true to the manifests (autonomy: auto)');
  await writeFile(join(ctx.project, 'autonomy.yaml'), AUTONOMY);
  process.stdout.write(`${join(ctx.project, 'autonomy.yaml')}:\n${AUTONOMY}\x1b[2m$ steward agent\x1b[0m\n`);
  const agent = spawn(process.execPath, [cli, '-C', ctx.project, 'agent'], { env: ctx.env, stdio: ['ignore', 'inherit', 'pipe'] });
  const closed = new Promise<number | null>((r) => agent.on('close', (code) => r(code)));
  let pending = '';
  agent.stderr.on('data', (data: Buffer) => {
    pending += data.toString();
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const text = condensed(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
      if (text) process.stdout.write(`\x1b[2m${text}\x1b[0m\n`);
    }
  });
  const client = new pg.Client({ ...ctx.server, database: 'billing' });
  await client.connect();
  try {
    const deadline = Date.now() + 60_000;
    while (await access(join(ctx.project, '.steward', 'agent.json')).then(() => false, () => true)) {
      if (Date.now() > deadline || agent.exitCode !== null) throw new Error('the agent did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    ctx.banner('While it runs, someone lets readers delete invoices, by hand...');
    await ctx.admin('billing', ['GRANT DELETE ON billing.invoices TO app_readers']);
    const started = Date.now();
    const canDelete = async (): Promise<boolean> =>
      (await client.query<{ ok: boolean }>(`SELECT has_table_privilege('app_readers', 'billing.invoices', 'DELETE') AS ok`)).rows[0]?.ok === true;
    while (await canDelete()) {
      if (Date.now() - started > 15_000) throw new Error('the agent did not revert the GRANT within 15 s');
      await new Promise((r) => setTimeout(r, 10));
    }
    process.stdout.write(`The out-of-band GRANT was revoked ${Date.now() - started} ms after it was made, without anyone running steward.\n`);
  } finally {
    await client.end();
    agent.kill('SIGTERM');
    const code = await closed;
    if (code !== 0) process.stderr.write(`the agent exited with ${code}\n`);
  }
  ctx.banner('The audit log: the drift the agent observed, why it acted, and the verified revoke');
  await ctx.steward(ctx.project, ctx.env, ['audit', 'list', '--address', 'PostgresGrant/readers-read-billing'], [0]);
  await ctx.steward(ctx.project, ctx.env, ['audit', 'verify'], [0]);
}
