import { userInfo } from 'node:os';
import { sha256Hex } from '../core/hash.js';
import { StewardError } from '../core/index.js';
import type { Approver } from '../kinds/autonomy.js';

/** The environment variable holding an approver's token; only its SHA-256 is ever configured. */
export const APPROVER_TOKEN_ENV = 'STEWARD_APPROVER_TOKEN';

function osUser(env: NodeJS.ProcessEnv): string {
  try {
    return userInfo().username;
  } catch {
    return env['USER'] ?? 'unknown';
  }
}

/**
 * Who is approving: the holder of `STEWARD_APPROVER_TOKEN` (matched by its hash against the
 * configured approvers, named `token:NAME`), or else the operating-system user. A token that
 * matches nobody is refused rather than silently ignored.
 */
export function approverIdentity(approvers: readonly Approver[], env: NodeJS.ProcessEnv): { readonly identity: string; readonly allowed: boolean } {
  const token = env[APPROVER_TOKEN_ENV];
  if (token !== undefined && token !== '') {
    const hash = sha256Hex(token);
    const match = approvers.find((a) => 'tokenSha256' in a && a.tokenSha256 === hash);
    if (!match || !('name' in match)) {
      throw new StewardError('invalid-input', `${APPROVER_TOKEN_ENV} matches no approver of the project's Autonomy manifest (only token hashes are configured there)`);
    }
    return { identity: `token:${match.name}`, allowed: true };
  }
  const user = osUser(env);
  const listed = approvers.some((a) => 'user' in a && a.user === user);
  return { identity: user, allowed: approvers.length === 0 || listed };
}

/**
 * Whether an approver is the proposer: the same identity, or the same OS user as an actor
 * recorded as `user@host`.
 */
export function sameIdentity(approver: string, proposer: string): boolean {
  return approver === proposer || proposer.startsWith(`${approver}@`) || approver.startsWith(`${proposer}@`);
}
