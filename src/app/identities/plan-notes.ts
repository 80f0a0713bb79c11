import type { DesiredResource, Diagnostic } from '../../core/index.js';
import type { PlanResult } from '../../engine/index.js';
import { AGENT, POSTGRES_ROLE, SECRET, type PostgresRoleSpec } from '../../kinds/index.js';
import { loadKeyring, sensitiveHash } from '../../secrets/index.js';
import type { PlanStore } from '../../store/index.js';
import { stewardDir } from './keys.js';

const note = (summary: string, address: string, code: 'sensitive-change' | 'identity-change' | 'identity-pending'): Diagnostic => ({ severity: 'warning', code, summary, address });

/**
 * What applying will do beyond the plan's changes, in what lives in Steward itself: role
 * passwords that change (shown as keyed hashes only), and agents and secrets whose removal
 * destroys secrets and delivered files. Read-only; without a master key a password change is
 * reported as unknown rather than compared.
 */
export async function identityPlanNotes(store: Pick<PlanStore, 'identities' | 'secrets'>, resources: readonly DesiredResource[], projectDir: string, env: NodeJS.ProcessEnv): Promise<readonly Diagnostic[]> {
  const notes: Diagnostic[] = [];
  const roles = (resources.filter((r) => r.kind === POSTGRES_ROLE) as DesiredResource<PostgresRoleSpec>[]).filter((r) => r.spec.password !== undefined);
  const identities = await store.identities.list();
  const stored = await store.secrets.list();
  if (roles.length > 0) {
    const keyring = await loadKeyring(stewardDir(projectDir), env).catch(() => undefined);
    for (const role of roles) {
      const ref = role.spec.password!;
      const before = await store.secrets.appliedHash(role.address, 'password');
      let value: string | undefined;
      if ('env' in ref) value = env[ref.env];
      else {
        const current = (await store.secrets.versions(ref.secretRef)).find((v) => v.state === 'current');
        // Compared by the keyed hash the secret was stored with: no decryption needed.
        if (current !== undefined && before === current.hmac) continue;
        if (current === undefined) {
          notes.push(note(`${role.address}: its password will be set from Secret/${ref.secretRef} when applied`, role.address, 'identity-pending'));
          continue;
        }
        notes.push(note(`${role.address}: its password will be set: ${before === undefined ? '(none)' : `(sensitive) ${before}`} -> (sensitive) ${current.hmac}`, role.address, 'sensitive-change'));
        continue;
      }
      if (value === undefined || value === '') {
        notes.push(note(`${role.address}: environment variable ${ref.env} (spec.password) is not set`, role.address, 'identity-pending'));
        continue;
      }
      if (keyring === undefined) continue;
      const after = sensitiveHash(keyring.primary, value);
      if (after !== before) notes.push(note(`${role.address}: its password will be set: ${before === undefined ? '(none)' : `(sensitive) ${before}`} -> (sensitive) ${after}`, role.address, 'sensitive-change'));
    }
  }
  const agents = new Set(resources.filter((r) => r.kind === AGENT).map((r) => r.name));
  for (const identity of identities) {
    if (agents.has(identity.agent)) continue;
    const file = identity.envFile === null ? '' : `, deletes ${identity.envFile}`;
    notes.push(note(`${AGENT}/${identity.agent} was removed: once its roles are gone, applying destroys Secret/${identity.secretName}${file} and forgets it`, `${AGENT}/${identity.agent}`, 'identity-change'));
  }
  const secrets = new Set(resources.filter((r) => r.kind === SECRET).map((r) => r.name));
  const owned = new Set(identities.map((i) => i.secretName));
  for (const secret of stored) {
    if (!secrets.has(secret.name) && !owned.has(secret.name)) notes.push(note(`${SECRET}/${secret.name} was removed from the manifests: applying destroys every version of it`, `${SECRET}/${secret.name}`, 'identity-change'));
  }
  return notes;
}

export function withNotes(plan: PlanResult, notes: readonly Diagnostic[]): PlanResult {
  return notes.length === 0 ? plan : { ...plan, diagnostics: [...plan.diagnostics, ...notes] };
}
