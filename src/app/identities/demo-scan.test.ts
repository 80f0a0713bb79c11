import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadKeyring, open, secretAad } from '../../secrets/index.js';
import { openStoreWithClient } from '../../store/open-store.js';
import { filesUnder } from '../../../test/files.js';
import { removeAfterFile } from '../../../test/project.js';

const ROOT = resolve(import.meta.dirname, '../../..');

describe('the quickstart demo', () => {
  it('leaves no secret in plaintext in its output, its files or its state', { timeout: 600_000 }, async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env['FORCE_COLOR'];
    delete env['STEWARD_MASTER_KEY'];
    delete env['STEWARD_DATABASE_URL'];
    // What `npm run demo` runs.
    const child = spawn(process.execPath, [join(ROOT, 'dist/bundle/demo.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    expect(code, output.slice(-2000)).toBe(0);
    const project = /project copied to (\S+)/.exec(output)?.[1];
    expect(project).toBeDefined();
    // The demo leaves its project for a user to look at; a test run does not.
    removeAfterFile(project!);

    // Every secret the demo's store holds, decrypted with the key file the demo's init created.
    const keyring = await loadKeyring(join(project!, '.steward'), {});
    expect(keyring).toBeDefined();
    const plaintexts = new Set<string>();
    const tableText: string[] = [];
    const opened = await openStoreWithClient({ projectDir: project!, command: 'test' });
    try {
      for (const secret of await opened.store.secrets.list()) {
        for (const version of await opened.store.secrets.versions(secret.name)) {
          if (version.sealed !== null) plaintexts.add(open(keyring!, secretAad(version.secretId, version.version), version.sealed, secret.name));
        }
      }
      const tables = await opened.client.query<{ t: string }>(`SELECT format('%I.%I', schemaname, tablename) AS t FROM pg_tables WHERE schemaname = 'steward'`);
      for (const { t } of tables) tableText.push((await opened.client.query<{ r: string }>(`SELECT row_to_json(x)::text AS r FROM ${t} x`)).map((r) => r.r).join('\n'));
    } finally {
      await opened.store.close();
    }
    // The rotation the demo shows left two versions: current and previous (in its grace period).
    expect(plaintexts.size).toBe(2);

    const leaks: string[] = [];
    const scan = (where: string, text: string): void => {
      for (const secret of plaintexts) if (text.includes(secret)) leaks.push(where);
    };
    scan('the demo output', output);
    tableText.forEach((t, i) => scan(`state table ${i}`, t));
    const delivered = join(project!, '.run/billing-bot.env');
    for (const file of await filesUnder(project!)) {
      // The env file is the delivery: the credential is meant to be there (and only there).
      if (file === delivered) continue;
      scan(file, (await readFile(file)).toString('latin1'));
    }
    expect(leaks).toEqual([]);
    // ...and it holds the current credential only.
    const envText = await readFile(delivered, 'utf8');
    expect([...plaintexts].filter((p) => envText.includes(p))).toHaveLength(1);
  });
});
