import { errorMessage, PARENT_ANNOTATION, type DesiredResource, type Diagnostic } from '../../core/index.js';
import type { ChangeResult } from '../../engine/index.js';
import { AGENT, POSTGRES_INSTANCE, POSTGRES_ROLE, SECRET, type AgentSpec, type PostgresRoleSpec, type SecretSpec } from '../../kinds/index.js';
import type { InstanceSecrets } from '../../providers/postgres/index.js';
import { passwordStatement } from '../../providers/postgres/role.js';
import { generateSecret, scramVerifier } from '../../secrets/index.js';
import type { Store } from '../../store/index.js';
import { withAdmin } from './connection.js';
import { decommission } from './decommission.js';
import { readInstanceSecrets } from './instance-secrets.js';
import { requireKeyring } from './keys.js';
import { currentWorks, deliver, finishGrace, identityFor, recoverRotation, rotate, type AgentContext, type RotationEvent } from './rotation.js';
import { Vault } from './vault.js';
import { durationSeconds } from '../../kinds/index.js';

export interface IdentitySyncInput {
  readonly store: Store;
  readonly resources: readonly DesiredResource[];
  readonly projectDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly runId: string;
  readonly actor: string;
  /** The outcome of the apply that ran first: an agent whose roles failed is left alone. */
  readonly results: readonly ChangeResult[];
  /** The Secrets instance passwords refer to, as the command already read them; read here when absent. */
  readonly secrets?: InstanceSecrets;
}

export interface IdentitySyncReport {
  readonly events: readonly RotationEvent[];
  readonly secretsCreated: readonly string[];
  readonly secretsDestroyed: readonly string[];
  readonly decommissioned: readonly string[];
  /** Things left for a later run, in words. */
  readonly problems: readonly string[];
}

const EMPTY: IdentitySyncReport = { events: [], secretsCreated: [], secretsDestroyed: [], decommissioned: [], problems: [] };

function parentOf(resource: DesiredResource): string | undefined {
  return resource.metadata.annotations[PARENT_ANNOTATION];
}

/** Resolves a sensitive reference to its value; only this module and `steward run` ever hold it. */
async function sensitiveValue(vault: Vault, env: NodeJS.ProcessEnv, ref: NonNullable<PostgresRoleSpec['password']>): Promise<{ readonly value: string; readonly hmac: string }> {
  if ('secretRef' in ref) {
    // The hash the version was stored with, which `plan` compares without decrypting.
    const read = await vault.read(ref.secretRef);
    return { value: read.value, hmac: read.version.hmac };
  }
  const value = env[ref.env];
  if (value === undefined || value === '') throw new Error(`environment variable ${ref.env} is not set`);
  return { value, hmac: vault.hash(value) };
}

/**
 * What apply does after the plan, for what lives in Steward itself: generated secrets get their
 * first value, agents get (or recover) a working credential and its delivery, role passwords are
 * set from their references, and agents and secrets that left the manifests are decommissioned.
 * Needs the master key only when there is something of the kind.
 */
export async function syncIdentities(input: IdentitySyncInput): Promise<IdentitySyncReport> {
  const { store, resources } = input;
  const secrets = resources.filter((r) => r.kind === SECRET) as DesiredResource<SecretSpec>[];
  const agents = resources.filter((r) => r.kind === AGENT) as DesiredResource<AgentSpec>[];
  const rolesWithPassword = (resources.filter((r) => r.kind === POSTGRES_ROLE) as DesiredResource<PostgresRoleSpec>[]).filter((r) => r.spec.password !== undefined);
  const stored = await store.secrets.list();
  const identities = await store.identities.list();
  if (secrets.length === 0 && agents.length === 0 && rolesWithPassword.length === 0 && stored.length === 0 && identities.length === 0) return EMPTY;

  const vault = new Vault(store, await requireKeyring(input.projectDir, input.env), input.actor);
  const instances = new Map(resources.filter((r) => r.kind === POSTGRES_INSTANCE).map((r) => [r.name, r]));
  const instanceSecrets = input.secrets ?? (await readInstanceSecrets(vault, resources)).values;
  const failed = new Set(input.results.filter((r) => r.status !== 'succeeded').map((r) => r.address as string));
  const events: RotationEvent[] = [];
  const problems: string[] = [];
  const secretsCreated: string[] = [];
  const secretsDestroyed: string[] = [];
  const decommissioned: string[] = [];

  for (const secret of secrets) {
    if (parentOf(secret)?.startsWith(`${AGENT}/`)) continue;
    const versions = await store.secrets.versions(secret.name);
    if (versions.some((v) => v.state === 'current')) continue;
    if (secret.spec.type === 'external') {
      problems.push(`Secret/${secret.name} has no value yet: set it with \`steward secret set ${secret.name}\` (reads stdin)`);
      continue;
    }
    await vault.write(secret.name, generateSecret(secret.spec.length, secret.spec.classes), { origin: 'generated', owner: null, state: 'current', runId: input.runId });
    secretsCreated.push(secret.name);
  }

  for (const agent of agents) {
    const instance = instances.get(agent.spec.postgres.instance);
    if (instance === undefined) continue;
    const broken = resources.filter((r) => parentOf(r) === agent.address && failed.has(r.address));
    if (broken.length > 0) {
      problems.push(`${agent.address}: ${broken.map((r) => r.address).join(', ')} did not apply; its credentials are left as they are`);
      continue;
    }
    const ctx: AgentContext = { agent, instance, projectDir: input.projectDir, env: input.env, vault, runId: input.runId, secrets: instanceSecrets };
    try {
      let identity = await identityFor(ctx);
      const recovered = await recoverRotation(ctx, identity);
      identity = recovered.identity;
      events.push(...recovered.events);
      events.push(...(await deliver(ctx, identity)));
      const graced = await finishGrace(ctx, identity);
      identity = graced.identity;
      events.push(...graced.events);
      if (identity.step === 'idle' && !(await currentWorks(ctx, identity))) events.push(...(await rotate(ctx, identity)).events);
    } catch (error) {
      problems.push(`${agent.address}: ${errorMessage(error)}`);
    }
  }

  for (const role of rolesWithPassword) {
    if (parentOf(role) !== undefined || failed.has(role.address)) continue;
    const instance = instances.get(role.spec.instance);
    if (instance === undefined) continue;
    try {
      const { value, hmac } = await sensitiveValue(vault, input.env, role.spec.password!);
      // Sent again only when the value changed or the role was (re)created by this apply.
      const created = input.results.some((r) => r.address === role.address && (r.action === 'create' || r.action === 'replace'));
      if (!created && (await store.secrets.appliedHash(role.address, 'password')) === hmac) continue;
      await withAdmin(instance, input.env, async (client) => void (await client.query(passwordStatement(role.name, scramVerifier(value)))), instanceSecrets);
      await store.audit.append({
        actor: input.actor,
        runId: input.runId,
        address: role.address,
        action: 'role.password.set',
        beforeHash: null,
        afterHash: null,
        outcome: 'succeeded',
        error: null,
        detail: { password: `(sensitive) ${hmac}`, sentAs: 'SCRAM-SHA-256 verifier' },
      });
      await store.secrets.recordApplied(role.address, 'password', hmac);
    } catch (error) {
      problems.push(`${role.address}: its password could not be set: ${errorMessage(error)}`);
    }
  }

  const declaredAgents = new Set(agents.map((a) => a.name));
  for (const identity of identities) {
    if (declaredAgents.has(identity.agent)) continue;
    const result = await decommission({ identity, instance: instances.get(identity.instance), vault, projectDir: input.projectDir, env: input.env, runId: input.runId, secrets: instanceSecrets });
    if (result.done) decommissioned.push(identity.agent);
    else problems.push(`${AGENT}/${identity.agent} is being decommissioned: ${result.problem ?? ''}`);
  }

  const declaredSecrets = new Set(secrets.map((s) => s.name));
  const stillOwned = new Set((await store.identities.list()).map((i) => i.secretName));
  for (const secret of await store.secrets.list()) {
    if (declaredSecrets.has(secret.name) || stillOwned.has(secret.name)) continue;
    await vault.destroy(secret.name, input.runId);
    secretsDestroyed.push(secret.name);
  }

  for (const expired of await store.secrets.destroyExpired(new Date())) {
    await vault.audit(input.runId, expired.name, 'secret.version.destroy', { version: expired.version, reason: 'its grace period ended' });
  }
  return { events, secretsCreated, secretsDestroyed, decommissioned, problems };
}

/** Grace of a declared Secret in seconds (for versions replaced by `steward secret set`). */
export function secretGraceSeconds(spec: SecretSpec): number {
  return durationSeconds(spec.grace) ?? 3600;
}

/** Fails before anything changes when the manifests need the master key and none is configured. */
export async function assertKeyAvailable(resources: readonly DesiredResource[], projectDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const needs = resources.some((r) => r.kind === SECRET || r.kind === AGENT || (r.kind === POSTGRES_ROLE && (r.spec as PostgresRoleSpec).password !== undefined));
  if (needs) await requireKeyring(projectDir, env);
}

/** What the sync left for a later run, as warnings shown with the plan's diagnostics. */
export function identityWarnings(report: IdentitySyncReport): readonly Diagnostic[] {
  return report.problems.map((problem) => ({ severity: 'warning', code: 'identity-pending', summary: problem }));
}
