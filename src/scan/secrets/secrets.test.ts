import { describe, expect, it } from 'vitest';
import { scanTexts } from '../scan.js';
import { detectSecrets } from './detect.js';
import { secretAssignments, shannonEntropy } from './entropy.js';

// Assembled at run time so this file itself holds no token-shaped literal.
const GITHUB = ['ghp', '_', 'wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx'].join('');
const AWS_ID = ['AKIA', '2E0A8F3B244C9986'].join('');
const AWS_SECRET = ['wJalrXUtnFEMI', '/K7MDENG/bPxRfiCYz9x8w7v6u5'].join('');

describe('secret detection', () => {
  it('finds known token formats through secretlint and never prints them', async () => {
    const text = `token: ${GITHUB}\naws_access_key_id = ${AWS_ID}\naws_secret_access_key = ${AWS_SECRET}\nurl: postgres://app:s3cretpass@db.example.com:5432/app\n`;
    const findings = await detectSecrets('config.env', text);
    expect(findings.map((f) => [f.ruleId, f.location.line])).toEqual(
      expect.arrayContaining([
        ['STW-SECRET-TOKEN', 1],
        ['STW-SECRET-TOKEN', 2],
        ['STW-SECRET-TOKEN', 3],
        ['STW-SECRET-TOKEN', 4],
      ]),
    );
    const serialised = JSON.stringify(findings);
    for (const secret of [GITHUB, AWS_ID, AWS_SECRET, 's3cretpass']) expect(serialised).not.toContain(secret);
  });

  it('flags high-entropy literals assigned to secret-looking names, not references or placeholders', () => {
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(secretAssignments('db_password = "Xk9#mQ2$vL7pR4"').map((a) => a.name)).toEqual(['db_password']);
    expect(secretAssignments('password = var.db_password')).toEqual([]);
    expect(secretAssignments('password = "${var.db_password}"')).toEqual([]);
    expect(secretAssignments('api_key: "changeme-example"')).toEqual([]);
    expect(secretAssignments('token = "aaaaaaaaaa"')).toEqual([]);
  });

  it('honours `steward:ignore secret reason: ...` on the line or the line before', async () => {
    const text = `# steward:ignore secret reason: test fixture\nclient_secret = "Xk9#mQ2$vL7pR4"\napi_token = "Zq8!nW3%bT6yH1"\n`;
    const report = await scanTexts([{ file: 'app.conf', text }]);
    const secrets = report.findings.filter((f) => f.ruleId.startsWith('STW-SECRET'));
    expect(secrets.map((f) => [f.location.line, f.suppression?.reason])).toEqual([
      [2, 'test fixture'],
      [3, undefined],
    ]);
  });
});
