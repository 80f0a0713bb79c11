import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { StewardError, type DesiredResource } from '../../core/index.js';
import { AGENT, POSTGRES_INSTANCE, SECRET, type AgentSpec, type SecretSpec } from '../../kinds/index.js';
import { generateMasterKey, KEY_FILE, MASTER_KEY_COMMAND_ENV, MASTER_KEY_ENV, NEW_KEY_FILE, rewrap, secretAad, writeKeyFile, type MasterKey } from '../../secrets/index.js';
import type { InstanceSecrets } from '../../providers/postgres/index.js';
import type { SecretVersionRecord, Store } from '../../store/index.js';
import { pauseCovering, pauseReason } from '../kill-switch.js';
import { currentActor } from '../actor.js';
import { loadProject, withStore, type LoadedProject, type ProjectOptions } from '../project.js';
import { agentEndpoint } from './connection.js';
import { connectionVariables } from './deliver.js';
import { readInstanceSecrets, resolveInstanceSecrets } from './instance-secrets.js';
import { requireKeyring, stewardDir } from './keys.js';
import { deliver, finishGrace, identityFor, isDue, recoverRotation, rotate, waitForGrace, type AgentContext, type RotationEvent } from './rotation.js';
import { secretGraceSeconds } from './sync.js';
import { Vault } from './vault.js';

function declaredAgent(project: LoadedProject, name: string): { readonly agent: DesiredResource<AgentSpec>; readonly instance: DesiredResource } {
  const agent = project.resources.find((r) => r.kind === AGENT && r.name === name) as DesiredResource<AgentSpec> | undefined;
  if (agent === undefined) {
    const known = project.resources.filter((r) => r.kind === AGENT).map((r) => r.name);
    throw new StewardError('not-found', `no Agent named '${name}' is declared${known.length > 0 ? ` (declared: ${known.join(', ')})` : ''}`);
  }
  const instance = project.resources.find((r) => r.kind === POSTGRES_INSTANCE && r.name === agent.spec.postgres.instance);
  if (instance === undefined) throw new StewardError('not-found', `${agent.address} names PostgresInstance/${agent.spec.postgres.instance}, which is not declared`);
  return { agent, instance };
}

export interface RotateRequest {
  /** One agent by name; absent with `due` means every agent that is due. */
  readonly agent?: string;
  readonly due: boolean;
  /** Wait out the grace period and invalidate the old login before returning. */
  readonly wait: boolean;
}

export interface RotateReport {
  readonly runId: string;
  readonly events: readonly RotationEvent[];
  /** Agents looked at and found not due. */
  readonly notDue: readonly string[];
  /** Agents a pause covers (the kill switch): nothing of theirs was touched. */
  readonly held: readonly { readonly agent: string; readonly reason: string }[];
}

/** Who rotates and how long to wait for another run holding the apply lock. */
export interface RotateContext {
  readonly project: LoadedProject;
  readonly env: NodeJS.ProcessEnv;
  readonly actor: string;
  readonly lockTimeoutMs: number;
  /** The Secrets instance passwords refer to, as the caller already read them; read here when absent. */
  readonly secrets?: InstanceSecrets;
}

/** `steward rotate`: recovers interrupted rotations, finishes due grace periods and rotates. */
export async function runRotate(options: ProjectOptions, request: RotateRequest): Promise<RotateReport> {
  const project = await loadProject(options);
  const ctx: RotateContext = { project, env: options.env, actor: currentActor(options.env), lockTimeoutMs: options.lockTimeoutMs };
  const names = request.agent !== undefined ? [request.agent] : undefined;
  names?.forEach((n) => declaredAgent(project, n));
  return withStore(options, (store) => rotateAgents(store, ctx, request, names));
}

/**
 * Rotation over an open store, for `steward rotate` and the running agent: every declared agent
 * (or those named) under the apply lock, as one run. Agents a pause covers are left alone; the
 * kill switch holds back rotations like any other mutation.
 */
export async function rotateAgents(store: Store, ctx: RotateContext, request: Omit<RotateRequest, 'agent'>, names?: readonly string[]): Promise<RotateReport> {
  const { project } = ctx;
  const selected = (names ?? project.resources.filter((r) => r.kind === AGENT).map((r) => r.name)).map((n) => declaredAgent(project, n));
  const keyring = await requireKeyring(project.dir, ctx.env);
  const lock = await store.acquireApplyLock({ timeoutMs: ctx.lockTimeoutMs });
  const runId = await store.startRun({ command: 'rotate', actor: ctx.actor });
  const events: RotationEvent[] = [];
  const notDue: string[] = [];
  const held: { agent: string; reason: string }[] = [];
  let status: 'succeeded' | 'failed' = 'failed';
  try {
    const vault = new Vault(store, keyring, ctx.actor);
    const secrets = ctx.secrets ?? (await readInstanceSecrets(vault, selected.map((s) => s.instance))).values;
    const pauses = await store.pauses.active();
    for (const { agent, instance } of selected) {
      const pause = pauseCovering(pauses, { address: agent.address, kind: agent.kind, labels: agent.metadata.labels });
      if (pause !== undefined) {
        held.push({ agent: agent.name, reason: pauseReason(pause) });
        continue;
      }
      const actx: AgentContext = { agent, instance, projectDir: project.dir, env: ctx.env, vault, runId, secrets };
      let identity = await identityFor(actx);
      const recovered = await recoverRotation(actx, identity);
      identity = recovered.identity;
      events.push(...recovered.events);
      events.push(...(await deliver(actx, identity)));
      const graced = request.wait && !request.due ? await waitForGrace(actx, identity) : await finishGrace(actx, identity);
      identity = graced.identity;
      events.push(...graced.events);
      if (request.due && (!isDue(agent.spec, identity, new Date()) || identity.step !== 'idle')) {
        notDue.push(agent.name);
        continue;
      }
      const rotated = await rotate(actx, identity);
      identity = rotated.identity;
      events.push(...rotated.events);
      if (request.wait) events.push(...(await waitForGrace(actx, identity)).events);
    }
    status = 'succeeded';
    return { runId, events, notDue, held };
  } finally {
    await store.finishRun(runId, status, { events: events.length, held: held.length }).catch(() => undefined);
    await lock.release();
  }
}

export interface SecretListing {
  readonly name: string;
  readonly origin: string;
  readonly owner: string | null;
  readonly declared: boolean;
  readonly versions: readonly { readonly version: number; readonly state: string; readonly value: string; readonly createdAt: string; readonly destroyAfter: string | null }[];
}

/** Every secret with its versions, values shown as `(sensitive) hmac:...` only; needs no key. */
export async function listSecrets(options: ProjectOptions): Promise<readonly SecretListing[]> {
  const project = await loadProject(options);
  const declared = new Set(project.resources.filter((r) => r.kind === SECRET).map((r) => r.name));
  return withStore(options, async (store) => {
    const out: SecretListing[] = [];
    for (const secret of await store.secrets.list()) {
      const versions = await store.secrets.versions(secret.name);
      out.push({
        name: secret.name,
        origin: secret.origin,
        owner: secret.owner,
        declared: declared.has(secret.name),
        versions: versions.map((v) => ({ version: v.version, state: v.state, value: `(sensitive) ${v.hmac}`, createdAt: v.createdAt, destroyAfter: v.destroyAfter })),
      });
    }
    for (const name of declared) {
      if (!out.some((s) => s.name === name)) out.push({ name, origin: 'declared', owner: null, declared: true, versions: [] });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  });
}

/** Decrypts a secret for a person or a command; the read is audited with the actor and purpose. */
export async function readSecret(options: ProjectOptions, name: string, purpose: string, version?: number): Promise<{ readonly value: string; readonly version: number }> {
  const project = await loadProject(options);
  const actor = currentActor(options.env);
  return withStore(options, async (store) => {
    const vault = new Vault(store, await requireKeyring(project.dir, options.env), actor);
    const read = await vault.read(name, version);
    await vault.audit(null, name, 'secret.read', { version: read.version.version, purpose }, 'info');
    return { value: read.value, version: read.version.version };
  });
}

/** `steward secret set`: a new current version of a declared external Secret. */
export async function setSecret(options: ProjectOptions, name: string, value: string): Promise<{ readonly version: number; readonly hmac: string }> {
  const project = await loadProject(options);
  const secret = project.resources.find((r) => r.kind === SECRET && r.name === name) as DesiredResource<SecretSpec> | undefined;
  if (secret === undefined) throw new StewardError('not-found', `no Secret named '${name}' is declared; declare it (type: external) first`);
  if (secret.spec.type !== 'external') throw new StewardError('invalid-input', `Secret/${name} is generated by Steward; only type: external secrets are set by hand`);
  if (value.length === 0) throw new StewardError('invalid-input', 'the value read from stdin is empty; nothing was stored');
  const actor = currentActor(options.env);
  return withStore(options, async (store) => {
    const vault = new Vault(store, await requireKeyring(project.dir, options.env), actor);
    const record = await vault.write(name, value, { origin: 'external', owner: null, state: 'current', graceSeconds: secretGraceSeconds(secret.spec) });
    return { version: record.version, hmac: record.hmac };
  });
}

/** The variables `steward run` injects, from the agent's current credential; the read is audited. */
export async function agentEnvironment(options: ProjectOptions, name: string): Promise<Readonly<Record<string, string>>> {
  const project = await loadProject(options);
  const { agent, instance } = declaredAgent(project, name);
  const actor = currentActor(options.env);
  return withStore(options, async (store) => {
    const identity = await store.identities.get(agent.name);
    if (identity?.activeLogin == null) throw new StewardError('not-found', `${agent.address} has no credential yet; run \`steward apply\` first`);
    const vault = new Vault(store, await requireKeyring(project.dir, options.env), actor);
    const read = await vault.read(identity.secretName);
    await vault.audit(null, identity.secretName, 'secret.read', { version: read.version.version, purpose: 'steward run' }, 'info');
    return connectionVariables(agentEndpoint(instance, agent.spec.postgres.database, options.env), identity.activeLogin, read.value);
  });
}

export interface RekeyReport {
  readonly rewrapped: number;
  readonly from: string;
  readonly to: string;
  /** Where the new key is now kept. */
  readonly keptIn: string;
}

/**
 * Rewraps every data key under a new master key in one transaction; ciphertexts are untouched.
 * With the key file, the new key is written to master.key.new first (so a crash at any point
 * leaves a key that opens the store), then moved over master.key once the store is rewrapped.
 * With STEWARD_MASTER_KEY or a key command, the new key comes from `next` and must be
 * installed there by the operator.
 */
export async function rekey(options: ProjectOptions, next?: MasterKey): Promise<RekeyReport> {
  const project = await loadProject(options);
  const dir = stewardDir(project.dir);
  const keyring = await requireKeyring(project.dir, options.env);
  const external = Boolean(options.env[MASTER_KEY_ENV]?.trim() || options.env[MASTER_KEY_COMMAND_ENV]?.trim());
  if (external && next === undefined) {
    throw new StewardError('invalid-input', `the master key comes from ${keyring.primary.source}: give the new key with --new-key-env VAR, then install it there`);
  }
  // A key file left by an interrupted rekey may already wrap some data keys: finish with it.
  const resumed = !external && next === undefined ? keyring.others[0] : undefined;
  const key = next ?? resumed ?? generateMasterKey();
  if (key.fingerprint === keyring.primary.fingerprint) throw new StewardError('invalid-input', 'the new master key is the current one; nothing to do');
  const actor = currentActor(options.env);
  return withStore(options, async (store) => {
    const lock = await store.acquireApplyLock({ timeoutMs: options.lockTimeoutMs });
    try {
      if (!external && resumed === undefined) await writeKeyFile(join(dir, NEW_KEY_FILE), key);
      const rewrapped = await store.secrets.rewrapAll((v: SecretVersionRecord) =>
        rewrap(keyring, key, secretAad(v.secretId, v.version), v.sealed!, `secret '${v.secretName}' version ${v.version}`),
      );
      if (!external) {
        await writeKeyFile(join(dir, KEY_FILE), key);
        await rm(join(dir, NEW_KEY_FILE), { force: true });
      }
      await store.audit.append({
        actor,
        runId: null,
        address: null,
        action: 'secret.rekey',
        beforeHash: null,
        afterHash: null,
        outcome: 'succeeded',
        error: null,
        detail: { from: keyring.primary.fingerprint, to: key.fingerprint, rewrapped },
      });
      return { rewrapped, from: keyring.primary.fingerprint, to: key.fingerprint, keptIn: external ? 'wherever you install it' : join(dir, KEY_FILE) };
    } finally {
      await lock.release();
    }
  });
}

/**
 * Rotates one agent `count` times back to back in one run, each time waiting out the grace period
 * and retiring the old login (what a schedule does over days, compressed): for the rotation test
 * and `npm run bench:rotation`. Returns each rotation's duration in ms (grace excluded).
 */
export async function rotateRepeatedly(options: ProjectOptions, name: string, count: number, onRotation?: (index: number, ms: number) => void): Promise<readonly number[]> {
  const project = await loadProject(options);
  const { agent, instance } = declaredAgent(project, name);
  const actor = currentActor(options.env);
  return withStore(options, async (store) => {
    const keyring = await requireKeyring(project.dir, options.env);
    const runId = await store.startRun({ command: 'rotate', actor });
    const durations: number[] = [];
    let status: 'succeeded' | 'failed' = 'failed';
    try {
      const vault = new Vault(store, keyring, actor);
      const secrets = await resolveInstanceSecrets(store, [instance], project.dir, options.env);
      const ctx: AgentContext = { agent, instance, projectDir: project.dir, env: options.env, vault, runId, secrets };
      let identity = (await recoverRotation(ctx, await identityFor(ctx))).identity;
      identity = (await waitForGrace(ctx, identity)).identity;
      for (let i = 0; i < count; i++) {
        const rotated = await rotate(ctx, identity);
        const ms = rotated.events.find((e) => e.type === 'rotated')?.ms ?? 0;
        durations.push(ms);
        onRotation?.(i, ms);
        identity = (await waitForGrace(ctx, rotated.identity)).identity;
      }
      status = 'succeeded';
      return durations;
    } finally {
      await store.finishRun(runId, status, { rotations: durations.length }).catch(() => undefined);
    }
  });
}
