import { hostname, userInfo } from 'node:os';

/** Who is acting, as recorded in runs and the audit log: `STEWARD_ACTOR`, else `user@host`. */
export function currentActor(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env['STEWARD_ACTOR']?.trim();
  if (configured) return configured;
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    user = env['USER'] ?? 'unknown';
  }
  return `${user}@${hostname()}`;
}
