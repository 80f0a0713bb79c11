import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { uniqueName } from './fixtures.js';
import { instanceYaml, makeProject, roleYaml, runCli } from './project.js';

describe('steward audit export', () => {
  it('exports JSON Lines that `audit verify --file` checks offline, and catches an edited copy', async () => {
    const role = uniqueName('export');
    const dir = await makeProject({ 'instance.yaml': instanceYaml(), 'roles.yaml': roleYaml(role, 'connectionLimit: 1') });
    expect((await runCli(['-C', dir, 'apply', '--auto-approve'])).code).toBe(0);
    expect((await runCli(['-C', dir, 'pause', '--reason', 'exported'])).code).toBe(0);

    const file = join(dir, 'audit.jsonl');
    const exported = await runCli(['-C', dir, 'audit', 'export', '--format', 'jsonl', '--out', file]);
    expect(exported.code).toBe(0);
    const anchor = /last entry (\d+), hash ([0-9a-f]{64})/.exec(exported.stderr);
    expect(anchor).not.toBeNull();
    const head = `${anchor![1]}:${anchor![2]}`;
    const text = await readFile(file, 'utf8');
    const lines = text.trimEnd().split('\n');
    expect(text.endsWith('\n')).toBe(true);
    expect(lines).toHaveLength(Number(anchor![1]));
    expect(lines.every((l) => l.startsWith('{"action":') && l.includes('"hash":"'))).toBe(true);
    expect(exported.stderr).toContain(`Exported ${lines.length} audit entries to ${file}`);

    // To standard output: the same bytes.
    const toStdout = await runCli(['-C', dir, 'audit', 'export']);
    expect(toStdout.code).toBe(0);
    expect(toStdout.stdout).toBe(text);

    const verified = await runCli(['-C', dir, 'audit', 'verify', '--file', file, '--head', head]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain(`intact: ${lines.length} entries`);

    const edited = lines.map((l, i) => (i === 1 ? l.replace('"outcome":"pending"', '"outcome":"succeeded"').replace('"outcome":"info"', '"outcome":"failed"') : l));
    expect(edited[1]).not.toBe(lines[1]);
    await writeFile(file, `${edited.join('\n')}\n`);
    const tampered = await runCli(['-C', dir, 'audit', 'verify', '--file', file, '--head', head, '--json']);
    expect(tampered.code).toBe(1);
    expect(JSON.parse(tampered.stdout)).toMatchObject({ ok: false, problems: [{ seq: 2, problem: 'edited' }] });

    await writeFile(file, `${lines.slice(0, -1).join('\n')}\n`);
    const cut = await runCli(['-C', dir, 'audit', 'verify', '--file', file, '--head', head]);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toContain('truncated');

    const badHead = await runCli(['-C', dir, 'audit', 'verify', '--file', file, '--head', 'nope']);
    expect(badHead.code).toBe(1);
    expect(badHead.stderr).toContain('--head must be SEQ:HASH');
    expect((await runCli(['-C', dir, 'audit', 'export', '--format', 'csv'])).stderr).toContain('--format must be jsonl');

    expect((await runCli(['-C', dir, 'resume'])).code).toBe(0);
    await runCli(['-C', dir, 'destroy', '--auto-approve']);
  });
});
