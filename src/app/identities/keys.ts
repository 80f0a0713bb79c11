import { join, resolve } from 'node:path';
import { StewardError } from '../../core/index.js';
import { loadKeyring, MASTER_KEY_COMMAND_ENV, MASTER_KEY_ENV, type Keyring } from '../../secrets/index.js';

export function stewardDir(projectDir: string): string {
  return join(resolve(projectDir), '.steward');
}

/** The project's master keyring; a clear error (nothing read, nothing written) when there is none. */
export async function requireKeyring(projectDir: string, env: NodeJS.ProcessEnv): Promise<Keyring> {
  const keyring = await loadKeyring(stewardDir(projectDir), env);
  if (keyring === undefined) {
    throw new StewardError(
      'invalid-input',
      `no master key: run \`steward init\` to create .steward/master.key, or set ${MASTER_KEY_ENV} (32 bytes, base64) or ${MASTER_KEY_COMMAND_ENV}`,
    );
  }
  return keyring;
}
