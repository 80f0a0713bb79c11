import { StewardError, type DesiredResource } from '../../core/index.js';
import { POSTGRES_INSTANCE, type PostgresInstanceSpec } from '../../kinds/index.js';
import { missingSecretMessage, type InstanceSecrets } from '../../providers/postgres/index.js';
import type { Store } from '../../store/index.js';
import { currentActor } from '../actor.js';
import { requireKeyring } from './keys.js';
import { Vault } from './vault.js';

/** No instance password is a `{secretRef}`: nothing to decrypt, no key needed. */
export const NO_INSTANCE_SECRETS: InstanceSecrets = new Map();

/** Each declared instance whose password is a `{secretRef}`, with the Secret it names. */
export function instanceSecretRefs(resources: readonly DesiredResource[]): readonly { readonly instance: string; readonly secret: string }[] {
  const out: { instance: string; secret: string }[] = [];
  // By index: every declared resource is looked at, and a for-of allocates a result for each.
  for (let i = 0; i < resources.length; i++) {
    const resource = resources[i]!;
    if (resource.kind !== POSTGRES_INSTANCE) continue;
    const password = (resource.spec as PostgresInstanceSpec).password;
    if (password !== undefined && 'secretRef' in password) out.push({ instance: resource.address, secret: password.secretRef });
  }
  return out;
}

export function needsInstanceSecrets(resources: readonly DesiredResource[]): boolean {
  return instanceSecretRefs(resources).length > 0;
}

/**
 * Decrypts the current value of every Secret an instance password refers to. Those without a
 * value are left out (a connection to their instance then fails with `missingSecretMessage`), so
 * the rest of the work can go on; `missing` lists them.
 */
export async function readInstanceSecrets(
  vault: Vault,
  resources: readonly DesiredResource[],
): Promise<{ readonly values: InstanceSecrets; readonly missing: readonly { readonly instance: string; readonly secret: string }[] }> {
  const values = new Map<string, string>();
  const missing: { instance: string; secret: string }[] = [];
  for (const ref of instanceSecretRefs(resources)) {
    if (values.has(ref.secret)) continue;
    const current = (await vault.store.secrets.versions(ref.secret)).find((v) => v.state === 'current');
    if (current === undefined) missing.push(ref);
    else values.set(ref.secret, vault.decrypt(current));
  }
  return { values, missing };
}

/**
 * What a command that connects to instances reads first, with the store open and before any
 * session connects: the values of the Secrets instance passwords refer to, decrypted once and
 * kept in memory only. Without such a reference it needs (and reads) nothing, not even the key.
 * A Secret without a value yet stops the command with a message saying how to set it.
 */
export async function resolveInstanceSecrets(store: Store, resources: readonly DesiredResource[], projectDir: string, env: NodeJS.ProcessEnv): Promise<InstanceSecrets> {
  if (!needsInstanceSecrets(resources)) return NO_INSTANCE_SECRETS;
  const vault = new Vault(store, await requireKeyring(projectDir, env), currentActor(env));
  const { values, missing } = await readInstanceSecrets(vault, resources);
  const first = missing[0];
  if (first !== undefined) throw new StewardError('invalid-input', missingSecretMessage(first.instance, first.secret));
  return values;
}
