import { errorMessage, type DesiredResource } from '../../core/index.js';
import { AGENT } from '../../kinds/index.js';
import type { InstanceSecrets } from '../../providers/postgres/index.js';
import type { AgentIdentityRecord } from '../../store/index.js';
import { withAdmin } from './connection.js';
import { deleteEnvFile, envFilePath } from './deliver.js';
import type { Vault } from './vault.js';

export interface DecommissionResult {
  readonly agent: string;
  readonly done: boolean;
  /** Why it is not finished yet (it is retried by the next apply). */
  readonly problem?: string;
}

interface Leftovers {
  readonly roles: readonly string[];
  readonly sessions: number;
  readonly grants: number;
}

/** What is still live of the agent's roles: the roles, their sessions and any privilege they hold. */
async function leftovers(instance: DesiredResource, env: NodeJS.ProcessEnv, roles: readonly string[], secrets?: InstanceSecrets): Promise<Leftovers> {
  return withAdmin(instance, env, async (client) => {
    const found = await client.query<{ rolname: string }>('SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY($1::text[]) ORDER BY 1', [roles]);
    const sessions = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_catalog.pg_stat_activity WHERE usename = ANY($1::text[])', [roles]);
    const grants = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_catalog.pg_shdepend s JOIN pg_catalog.pg_roles r ON r.oid = s.refobjid
        WHERE s.refclassid = 'pg_catalog.pg_authid'::regclass AND r.rolname = ANY($1::text[])`,
      [roles],
    );
    return { roles: found.rows.map((r) => r.rolname), sessions: sessions.rows[0]?.n ?? 0, grants: grants.rows[0]?.n ?? 0 };
  }, secrets);
}

/**
 * Finishes removing an agent that left the manifests. The plan has already revoked its grants,
 * ended its logins' sessions and dropped its roles (each an audited intent); this checks that
 * nothing of them is left live, records each step in the audit log, then destroys its secrets,
 * deletes the files it was delivered to and forgets it. If its roles are still there (the apply
 * failed), nothing is destroyed: the agent must keep a working credential until it is gone.
 */
export async function decommission(input: {
  readonly identity: AgentIdentityRecord;
  readonly instance: DesiredResource | undefined;
  readonly vault: Vault;
  readonly projectDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly runId: string;
  /** The decrypted Secrets instance passwords refer to (see `resolveInstanceSecrets`). */
  readonly secrets?: InstanceSecrets;
}): Promise<DecommissionResult> {
  const { identity, vault } = input;
  const address = `${AGENT}/${identity.agent}`;
  const audit = (action: string, detail: unknown): Promise<unknown> =>
    vault.store.audit.append({ actor: vault.actor, runId: input.runId, address, action, beforeHash: null, afterHash: null, outcome: 'succeeded', error: null, detail });
  const roles = [identity.groupRole, ...identity.logins];
  if (input.instance === undefined) {
    return { agent: identity.agent, done: false, problem: `PostgresInstance/${identity.instance} is no longer declared, so its roles cannot be checked; declare it again to finish` };
  }
  let left: Leftovers;
  try {
    left = await leftovers(input.instance, input.env, roles, input.secrets);
  } catch (error) {
    return { agent: identity.agent, done: false, problem: errorMessage(error) };
  }
  if (left.roles.length > 0 || left.sessions > 0) {
    return { agent: identity.agent, done: false, problem: `its roles ${left.roles.join(', ') || '(none)'} (${left.sessions} session(s)) are still live; its credentials are kept until they are gone` };
  }
  await audit('agent.decommission.revoke', { grants: left.grants, verified: 'no privilege of its roles is left' });
  await audit('agent.decommission.terminate-sessions', { sessions: left.sessions, verified: 'no session of its roles is open' });
  await audit('agent.decommission.drop-roles', { roles, verified: 'its roles are gone' });
  if ((await vault.store.secrets.get(identity.secretName)) !== undefined) await vault.destroy(identity.secretName, input.runId);
  await audit('agent.decommission.destroy-secrets', { secrets: [identity.secretName] });
  if (identity.envFile !== null) {
    const existed = await deleteEnvFile(envFilePath(input.projectDir, identity.envFile));
    await audit('agent.decommission.delete-files', { files: [identity.envFile], existed });
  }
  await vault.store.identities.remove(identity.agent);
  await audit('agent.decommission.done', { agent: identity.agent });
  return { agent: identity.agent, done: true };
}
