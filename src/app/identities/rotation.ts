import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { StewardError, errorMessage, type DesiredResource } from '../../core/index.js';
import { agentNames, durationSeconds, type AgentSpec } from '../../kinds/index.js';
import type { InstanceSecrets } from '../../providers/postgres/index.js';
import { passwordStatement } from '../../providers/postgres/role.js';
import { generateSecret, scramVerifier } from '../../secrets/index.js';
import type { AgentIdentityRecord, Intent } from '../../store/index.js';
import { agentEndpoint, verifyLogin, withAdmin, type AgentEndpoint } from './connection.js';
import { connectionVariables, envFilePath, envFileText, writeEnvFile } from './deliver.js';
import { failpoint } from './failpoint.js';
import type { Vault } from './vault.js';

/** Everything a rotation step needs about one declared agent. */
export interface AgentContext {
  readonly agent: DesiredResource<AgentSpec>;
  readonly instance: DesiredResource;
  readonly projectDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly vault: Vault;
  readonly runId: string;
  readonly now?: () => Date;
  /** The decrypted Secrets instance passwords refer to (see `resolveInstanceSecrets`). */
  readonly secrets?: InstanceSecrets;
}

export type RotationEvent =
  | { readonly type: 'rolled-back'; readonly agent: string; readonly version: number }
  | { readonly type: 'resumed'; readonly agent: string; readonly version: number }
  | { readonly type: 'rotated'; readonly agent: string; readonly login: string; readonly version: number; readonly hmac: string; readonly ms: number }
  | { readonly type: 'invalidated'; readonly agent: string; readonly login: string }
  | { readonly type: 'delivered'; readonly agent: string; readonly file: string };

const now = (ctx: AgentContext): Date => ctx.now?.() ?? new Date();
const address = (ctx: AgentContext): string => ctx.agent.address;
const graceSeconds = (ctx: AgentContext): number => durationSeconds(ctx.agent.spec.credentials.rotate.grace) ?? 3600;
export const everySeconds = (spec: AgentSpec): number => durationSeconds(spec.credentials.rotate.every) ?? 86_400;

function endpoint(ctx: AgentContext): AgentEndpoint {
  return agentEndpoint(ctx.instance, ctx.agent.spec.postgres.database, ctx.env);
}

/** Records the step as an intent (with its audit entry) first, runs it, then records the outcome. */
async function step<T>(ctx: AgentContext, action: string, detail: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
  const store = ctx.vault.store;
  const intent: Intent = await store.recordIntent({ runId: ctx.runId, actor: ctx.vault.actor, address: address(ctx), action, beforeHash: null, afterHash: null, detail });
  try {
    const result = await fn();
    await store.resolveIntent(intent, { status: 'succeeded' });
    return result;
  } catch (error) {
    await store.resolveIntent(intent, { status: 'failed', error: errorMessage(error) }).catch(() => undefined);
    throw error;
  }
}

/** The identity row for a declared agent, created on first sight; rotation state is kept. */
export async function identityFor(ctx: AgentContext): Promise<AgentIdentityRecord> {
  const names = agentNames(ctx.agent.name);
  const spec = ctx.agent.spec;
  const existing = await ctx.vault.store.identities.get(ctx.agent.name);
  const record: AgentIdentityRecord = {
    agent: ctx.agent.name,
    secretName: names.secret,
    instance: spec.postgres.instance,
    database: spec.postgres.database,
    groupRole: names.group,
    logins: names.logins,
    activeLogin: existing?.activeLogin ?? null,
    envFile: spec.credentials.deliver.envFile ?? null,
    step: existing?.step ?? 'idle',
    pendingLogin: existing?.pendingLogin ?? null,
    pendingVersion: existing?.pendingVersion ?? null,
    retiringLogin: existing?.retiringLogin ?? null,
    graceUntil: existing?.graceUntil ?? null,
    rotatedAt: existing?.rotatedAt ?? null,
  };
  if (existing === undefined || JSON.stringify(existing) !== JSON.stringify(record)) await ctx.vault.store.identities.put(record);
  return record;
}

/** Steps an interrupted run left unresolved for this agent: closed as recovered, by what is found now. */
async function closeInterruptedSteps(ctx: AgentContext, outcome: string): Promise<void> {
  const store = ctx.vault.store;
  for (const intent of await store.unresolvedIntents()) {
    if (intent.address !== address(ctx) || !intent.action.startsWith('rotate.')) continue;
    await store.resolveIntent(intent, { status: 'recovered', detail: { outcome, interruptedRun: intent.runId } });
  }
}

/**
 * Makes an interrupted rotation whole: a version published before the crash is rolled forward
 * (the identity follows it), anything short of that is rolled back (the pending version is
 * destroyed; the published login was never touched, so it still works).
 */
export async function recoverRotation(ctx: AgentContext, identity: AgentIdentityRecord): Promise<{ readonly identity: AgentIdentityRecord; readonly events: readonly RotationEvent[] }> {
  const store = ctx.vault.store;
  if (identity.step !== 'pending' || identity.pendingVersion === null || identity.pendingLogin === null) {
    await closeInterruptedSteps(ctx, 'nothing was in progress');
    return { identity, events: [] };
  }
  const version = identity.pendingVersion;
  const found = (await store.secrets.versions(identity.secretName)).find((v) => v.version === version);
  let next: AgentIdentityRecord;
  let event: RotationEvent;
  if (found?.state === 'current') {
    next = published(ctx, identity, identity.pendingLogin);
    event = { type: 'resumed', agent: identity.agent, version };
  } else {
    if (found !== undefined) await store.secrets.destroyVersion(identity.secretName, version);
    next = { ...identity, step: 'idle', pendingLogin: null, pendingVersion: null };
    event = { type: 'rolled-back', agent: identity.agent, version };
  }
  await store.identities.put(next);
  await closeInterruptedSteps(ctx, event.type);
  await store.audit.append({
    actor: ctx.vault.actor,
    runId: ctx.runId,
    address: address(ctx),
    action: event.type === 'resumed' ? 'rotate.resume' : 'rotate.rollback',
    beforeHash: null,
    afterHash: null,
    outcome: 'recovered',
    error: null,
    detail: { version, login: identity.pendingLogin },
  });
  return { identity: next, events: [event] };
}

/** The identity once `login`'s new version is current: the other login retires after the grace period. */
function published(ctx: AgentContext, identity: AgentIdentityRecord, login: string): AgentIdentityRecord {
  const retiring = identity.activeLogin !== null && identity.activeLogin !== login ? identity.activeLogin : null;
  const at = now(ctx);
  return {
    ...identity,
    activeLogin: login,
    step: retiring === null ? 'idle' : 'grace',
    pendingLogin: null,
    pendingVersion: null,
    retiringLogin: retiring,
    graceUntil: retiring === null ? null : new Date(at.getTime() + graceSeconds(ctx) * 1000).toISOString(),
    rotatedAt: at.toISOString(),
  };
}

/** Writes the current credential to the agent's envFile if it differs from what is there. */
export async function deliver(ctx: AgentContext, identity: AgentIdentityRecord): Promise<readonly RotationEvent[]> {
  if (identity.envFile === null || identity.activeLogin === null) return [];
  const { value } = await ctx.vault.read(identity.secretName);
  const path = envFilePath(ctx.projectDir, identity.envFile);
  const text = envFileText(connectionVariables(endpoint(ctx), identity.activeLogin, value));
  const present = await readFile(path, 'utf8').catch(() => undefined);
  if (present === text) return [];
  await step(ctx, 'rotate.deliver', { file: identity.envFile, login: identity.activeLogin, value: `(sensitive) ${ctx.vault.hash(value)}` }, () => writeEnvFile(path, text));
  return [{ type: 'delivered', agent: identity.agent, file: identity.envFile }];
}

/** After the grace period: the retiring login loses its password (its open sessions are left alone). */
export async function finishGrace(ctx: AgentContext, identity: AgentIdentityRecord): Promise<{ readonly identity: AgentIdentityRecord; readonly events: readonly RotationEvent[] }> {
  if (identity.step !== 'grace' || identity.retiringLogin === null) return { identity, events: [] };
  if (identity.graceUntil !== null && Date.parse(identity.graceUntil) > now(ctx).getTime()) return { identity, events: [] };
  const login = identity.retiringLogin;
  await step(ctx, 'rotate.invalidate', { login }, () => withAdmin(ctx.instance, ctx.env, async (client) => void (await client.query(passwordStatement(login, null))), ctx.secrets));
  failpoint(ctx.env, 'rotate.after-invalidate');
  for (const version of await ctx.vault.store.secrets.versions(identity.secretName)) {
    if (version.state === 'previous') await ctx.vault.store.secrets.destroyVersion(identity.secretName, version.version);
  }
  const next: AgentIdentityRecord = { ...identity, step: 'idle', retiringLogin: null, graceUntil: null };
  await ctx.vault.store.identities.put(next);
  return { identity: next, events: [{ type: 'invalidated', agent: identity.agent, login }] };
}

/** Waits out a running grace period (for `rotate --wait` and tests), then finishes it. */
export async function waitForGrace(ctx: AgentContext, identity: AgentIdentityRecord): Promise<{ readonly identity: AgentIdentityRecord; readonly events: readonly RotationEvent[] }> {
  if (identity.step === 'grace' && identity.graceUntil !== null) {
    // Timers may fire a little early against the wall clock: wait until the deadline has passed.
    for (let left = Date.parse(identity.graceUntil) - now(ctx).getTime(); left >= 0; left = Date.parse(identity.graceUntil) - now(ctx).getTime()) {
      await sleep(left + 1);
    }
  }
  return finishGrace(ctx, identity);
}

/**
 * One rotation with the alternating-users strategy: a new password on the idle login (sent as a
 * SCRAM verifier), proven by logging in with it, then published as the current version and
 * delivered. The login in use keeps working until the grace period ends. Refused while the
 * previous rotation's grace period runs: its login is still in use.
 */
export async function rotate(ctx: AgentContext, identity: AgentIdentityRecord): Promise<{ readonly identity: AgentIdentityRecord; readonly events: readonly RotationEvent[] }> {
  if (identity.step === 'grace') {
    throw new StewardError('invalid-input', `${address(ctx)}: the previous rotation's grace period runs until ${identity.graceUntil ?? '?'}; its login is still in use, rotate after that`);
  }
  if (identity.step === 'pending') throw new StewardError('unresolved-intent', `${address(ctx)}: an interrupted rotation must be recovered first`);
  const started = performance.now();
  const store = ctx.vault.store;
  const [first, second] = identity.logins as readonly [string, string];
  const login = identity.activeLogin === first ? second : first;
  const password = generateSecret(32, ['lower', 'upper', 'digits']);
  const hmac = ctx.vault.hash(password);
  const version = await step(ctx, 'rotate.prepare', { login, value: `(sensitive) ${hmac}` }, async () => {
    const record = await ctx.vault.write(identity.secretName, password, { origin: 'agent', owner: address(ctx), state: 'pending', meta: { login }, runId: ctx.runId });
    await store.identities.put({ ...identity, step: 'pending', pendingLogin: login, pendingVersion: record.version });
    return record.version;
  });
  let current: AgentIdentityRecord = { ...identity, step: 'pending', pendingLogin: login, pendingVersion: version };
  failpoint(ctx.env, 'rotate.after-prepare');
  try {
    const verifier = scramVerifier(password);
    await step(ctx, 'rotate.set-password', { login, version }, () => withAdmin(ctx.instance, ctx.env, async (client) => void (await client.query(passwordStatement(login, verifier))), ctx.secrets));
    failpoint(ctx.env, 'rotate.after-set-password');
    await step(ctx, 'rotate.verify', { login, version }, () => verifyLogin(endpoint(ctx), login, password));
    failpoint(ctx.env, 'rotate.after-verify');
  } catch (error) {
    // Nothing was published: the login in use is untouched. Undo the pending version.
    const rolled = await recoverRotation(ctx, current);
    current = rolled.identity;
    throw error;
  }
  await step(ctx, 'rotate.publish', { login, version, value: `(sensitive) ${hmac}` }, async () => {
    const next = published(ctx, current, login);
    await store.secrets.promote(identity.secretName, version, next.graceUntil);
    failpoint(ctx.env, 'rotate.after-promote');
    await store.identities.put(next);
    current = next;
  });
  failpoint(ctx.env, 'rotate.after-publish');
  const delivered = await deliver(ctx, current);
  failpoint(ctx.env, 'rotate.after-deliver');
  return { identity: current, events: [{ type: 'rotated', agent: identity.agent, login, version, hmac, ms: performance.now() - started }, ...delivered] };
}

/** Whether the agent is due: never rotated, or its period has passed since the last rotation. */
export function isDue(spec: AgentSpec, identity: AgentIdentityRecord, at: Date): boolean {
  if (identity.activeLogin === null || identity.rotatedAt === null) return true;
  return Date.parse(identity.rotatedAt) + everySeconds(spec) * 1000 <= at.getTime();
}

/** Whether the published credential logs in (a login re-created outside Steward would have none). */
export async function currentWorks(ctx: AgentContext, identity: AgentIdentityRecord): Promise<boolean> {
  if (identity.activeLogin === null) return false;
  try {
    const { value } = await ctx.vault.read(identity.secretName);
    await verifyLogin(endpoint(ctx), identity.activeLogin, value);
    return true;
  } catch (error) {
    if (error instanceof StewardError && error.code === 'connection-failed') return false;
    throw error;
  }
}
