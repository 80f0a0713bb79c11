import { describe, expect, it } from 'vitest';
import { addressOf, type PlannedChange } from '../core/index.js';
import { declare } from '../../test/fixtures.js';
import { autonomyFor, resolveAutonomy } from './autonomy.js';
import { planHashOf } from './change-hash.js';
import { destructiveReason } from './destructive.js';
import { approverIdentity, sameIdentity } from './identity.js';
import { RetryBook } from './retry.js';

const autonomy = (spec: Record<string, unknown>) => resolveAutonomy([declare('Autonomy', 'a', spec)]);

function change(partial: Partial<PlannedChange> & Pick<PlannedChange, 'action' | 'kind'>): PlannedChange {
  return { address: addressOf(partial.kind, 'x'), name: 'x', changes: [], reason: 'r', target: addressOf('PostgresInstance', 'main'), dependsOn: [], adopt: false, ...partial };
}

describe('autonomy', () => {
  it('defaults to propose, and the most specific scope wins', () => {
    expect(autonomyFor(resolveAutonomy([]), { address: 'PostgresRole/a', kind: 'PostgresRole', labels: {} })).toMatchObject({ mode: 'propose', scope: 'default' });
    const a = autonomy({
      default: 'observe',
      scopes: [
        { scope: 'kind:PostgresRole', mode: 'auto' },
        { scope: 'labels:team=pay', mode: 'propose' },
        { scope: 'resource:PostgresRole/app', mode: 'auto', allowDestructive: true, interval: '30s' },
      ],
      resync: '10m',
    });
    expect(a.resyncMs).toBe(600_000);
    expect(autonomyFor(a, { address: 'PostgresRole/x', kind: 'PostgresRole', labels: {} })).toMatchObject({ mode: 'auto', allowDestructive: false });
    expect(autonomyFor(a, { address: 'PostgresRole/x', kind: 'PostgresRole', labels: { team: 'pay' } })).toMatchObject({ mode: 'propose' });
    expect(autonomyFor(a, { address: 'PostgresRole/app', kind: 'PostgresRole', labels: { team: 'pay' } })).toMatchObject({ mode: 'auto', allowDestructive: true, intervalMs: 30_000 });
    expect(autonomyFor(a, { address: 'PostgresGrant/g', kind: 'PostgresGrant', labels: {} })).toMatchObject({ mode: 'observe' });
  });

  it('rejects a bad scope, and a second Autonomy manifest', () => {
    expect(() => declare('Autonomy', 'a', { scopes: [{ scope: 'kind:', mode: 'auto' }] })).toThrow(/not a kind name/);
    expect(() => resolveAutonomy([declare('Autonomy', 'a', {}), declare('Autonomy', 'b', {})])).toThrow(/problem/);
  });
});

describe('destructive changes', () => {
  it('are deletes, replacements and revoking more privileges than allowed', () => {
    expect(destructiveReason(change({ kind: 'PostgresRole', action: 'delete' }), 5)).toBe('it deletes the resource');
    expect(destructiveReason(change({ kind: 'Agent', action: 'delete' }), 5)).toBe('it decommissions an agent');
    expect(destructiveReason(change({ kind: 'PostgresRole', action: 'replace' }), 5)).toMatch(/recreates/);
    const revoke = (n: number) =>
      change({
        kind: 'PostgresGrant',
        action: 'update',
        changes: [{ field: 'privileges', before: { 't.a': ['SELECT', ...Array.from({ length: n }, (_, i) => `P${i}`)] }, after: { 't.a': ['SELECT'] }, requiresReplace: false }],
      });
    expect(destructiveReason(revoke(5), 5)).toBeUndefined();
    expect(destructiveReason(revoke(6), 5)).toBe('it revokes 6 privileges (more than 5)');
    expect(destructiveReason(change({ kind: 'PostgresRole', action: 'update' }), 0)).toBeUndefined();
  });
});

describe('change hashes', () => {
  it('change when the live state the change starts from changes', () => {
    const at = (before: number) => change({ kind: 'PostgresRole', action: 'update', changes: [{ field: 'connectionLimit', before, after: 1, requiresReplace: false }] });
    expect(planHashOf(at(9))).toBe(planHashOf(at(9)));
    expect(planHashOf(at(9))).not.toBe(planHashOf(at(8)));
  });
});

describe('what is stored about a change', () => {
  it('never holds a secret-named field or a known secret value, and keeps object names', async () => {
    process.env['STEWARD_TEST_SECRET_TOKEN'] = 'sup3r-secret-value';
    const { redactedSummary } = await import('./change-hash.js');
    const summary = redactedSummary(
      change({
        kind: 'PostgresRole',
        action: 'update',
        changes: [
          { field: 'password', before: 'old-one', after: 'new-one', requiresReplace: false },
          { field: 'privileges', before: { 'public.api_tokens': ['SELECT'] }, after: { 'public.api_tokens': [] }, requiresReplace: false },
          { field: 'comment', before: 'was sup3r-secret-value', after: null, requiresReplace: false },
        ],
      }),
    );
    expect(summary.fields).toEqual([
      { field: 'password', before: '[REDACTED]', after: '[REDACTED]' },
      { field: 'privileges', before: { 'public.api_tokens': ['SELECT'] }, after: { 'public.api_tokens': [] } },
      { field: 'comment', before: 'was [REDACTED]', after: null },
    ]);
  });
});

describe('approver identity', () => {
  const token = 'tok-123';
  const tokenSha256 = 'c8963414bf6c4c869eeac5f8a057c3dc574d422f1b108397b66f67bab3d2f981';

  it('is the token holder named by the configured hash, else the OS user', () => {
    expect(approverIdentity([{ name: 'ops', tokenSha256 }], { STEWARD_APPROVER_TOKEN: token })).toEqual({ identity: 'token:ops', allowed: true });
    expect(() => approverIdentity([{ name: 'ops', tokenSha256 }], { STEWARD_APPROVER_TOKEN: 'other' })).toThrow(/matches no approver/);
    expect(approverIdentity([], {}).allowed).toBe(true);
    expect(approverIdentity([{ user: 'nobody-like-this' }], {}).allowed).toBe(false);
  });

  it('treats user and user@host as the same person', () => {
    expect(sameIdentity('alice', 'alice@db1')).toBe(true);
    expect(sameIdentity('alice', 'alice')).toBe(true);
    expect(sameIdentity('bob', 'alice@db1')).toBe(false);
    expect(sameIdentity('token:ops', 'agent@db1')).toBe(false);
  });
});

describe('retries', () => {
  it('back off transient failures with jitter and hold terminal ones until the change differs', () => {
    let now = 0;
    const book = new RetryBook({ baseMs: 1000, maxMs: 60_000, now: () => now, random: () => 1 });
    const c = change({ kind: 'PostgresRole', action: 'update' });
    expect(book.failed(c, 'h1', 'connection terminated unexpectedly')).toEqual({ kind: 'transient', delayMs: 1000 });
    expect(book.blocked(c.address, 'h1')).toMatch(/backing off/);
    now = 1000;
    expect(book.blocked(c.address, 'h1')).toBeUndefined();
    expect(book.failed(c, 'h1', 'lock timeout')).toEqual({ kind: 'transient', delayMs: 2000 });
    expect(book.failed(c, 'h1', 'permission denied to alter role')).toEqual({ kind: 'terminal' });
    now = 1_000_000;
    expect(book.blocked(c.address, 'h1')).toMatch(/not retried until/);
    expect(book.blocked(c.address, 'h2')).toBeUndefined();
  });
});
