import { describe, expect, it } from 'vitest';
import { HEADER, INSTANCE_MAIN, loadOne, only } from './test-helpers.js';

const ISSUE_AGENT = `${HEADER}
kind: Agent
metadata: { name: billing-bot, labels: { team: payments } }
spec:
  owner: payments-team@example.com
  description: reconciles invoices nightly
  postgres:
    instance: main
    database: app
    grants:
      - { privileges: [SELECT, INSERT], tables: { schema: billing, names: [invoices] } }
    connectionLimit: 5
  credentials:
    rotate: { every: 24h, grace: 1h }
    deliver: { envFile: .run/billing-bot.env }
`;

describe('composite kinds', () => {
  it('expands the Agent of the issue into its children, each located at the agent and naming it as parent', () => {
    const result = loadOne(`${INSTANCE_MAIN}---\n${ISSUE_AGENT}`);
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const children = result.resources.filter((r) => r.metadata.annotations['steward.dev/parent'] === 'Agent/billing-bot');
    expect(children.map((c) => c.address)).toEqual([
      'PostgresRole/billing_bot',
      'PostgresRole/billing_bot_a',
      'PostgresRoleMembership/billing-bot.login-a',
      'PostgresRole/billing_bot_b',
      'PostgresRoleMembership/billing-bot.login-b',
      'PostgresGrant/billing-bot.connect',
      'PostgresGrant/billing-bot.grant-0',
      'PostgresGrant/billing-bot.usage-billing',
      'Secret/billing-bot.credentials',
    ]);
    for (const child of children) expect(child.source).toEqual({ file: 'm.yaml', line: 7, column: 1 });
    const login = children.find((c) => c.name === 'billing_bot_a');
    expect(login?.spec).toMatchObject({ login: true, superuser: false, createrole: false, createdb: false, replication: false, bypassrls: false, connectionLimit: 5 });
    expect(login?.metadata.annotations).toMatchObject({ 'steward.dev/owner': 'payments-team@example.com', 'steward.dev/rotation': '24h' });
    expect(login?.metadata.labels).toEqual({ team: 'payments' });
    expect(children.find((c) => c.name === 'billing-bot.login-a')?.dependsOn).toEqual(['PostgresInstance/main', 'PostgresRole/billing_bot', 'PostgresRole/billing_bot_a']);
    expect(children.find((c) => c.name === 'billing-bot.grant-0')?.spec).toMatchObject({
      grantee: 'billing_bot',
      mode: 'authoritative',
      on: { type: 'table', database: 'app', schema: 'billing', names: ['invoices'] },
    });
  });

  it('refuses a rotation period under 60 s, at the field', () => {
    const result = loadOne(`${INSTANCE_MAIN}---\n${ISSUE_AGENT.replace('every: 24h', 'every: 30s')}`);
    const d = only(result, 'invalid-value');
    expect(d.summary).toContain('rotate.every must be at least 60s, not 30s');
    expect(d.location?.line).toBe(20);
  });

  it('reports a name clash between an agent child and a declared role', () => {
    const role = `${HEADER}\nkind: PostgresRole\nmetadata: { name: billing_bot_b }\nspec: { instance: main }\n`;
    const d = only(loadOne(`${INSTANCE_MAIN}---\n${role}---\n${ISSUE_AGENT}`), 'duplicate-name');
    expect(d.summary).toBe('PostgresRole/billing_bot_b is declared more than once.');
  });
});

describe('sensitive fields', () => {
  const role = (password: string): string => `${HEADER}\nkind: PostgresRole\nmetadata: { name: svc }\nspec:\n  instance: main\n  password: ${password}\n`;

  it('refuse a literal', () => {
    const d = only(loadOne(`${INSTANCE_MAIN}---\n${role('hunter2')}`), 'literal-secret');
    expect(d.location).toEqual({ file: 'm.yaml', line: 12, column: 13 });
    expect(JSON.stringify(d)).not.toContain('hunter2');
  });

  it('take {secretRef} to a declared Secret or {env}', () => {
    const secret = `${HEADER}\nkind: Secret\nmetadata: { name: svc-password }\nspec: {}\n`;
    expect(loadOne(`${INSTANCE_MAIN}---\n${secret}---\n${role('{ secretRef: svc-password }')}`).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(loadOne(`${INSTANCE_MAIN}---\n${role('{ env: SVC_PASSWORD }')}`).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const dangling = only(loadOne(`${INSTANCE_MAIN}---\n${role('{ secretRef: nope }')}`), 'dangling-reference');
    expect(dangling.summary).toBe('spec.password names Secret/nope, which is not declared.');
  });
});
