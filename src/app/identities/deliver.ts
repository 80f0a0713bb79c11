import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { AgentEndpoint } from './connection.js';

/** The variables a runtime gets: libpq's own plus a DATABASE_URL. */
export function connectionVariables(endpoint: AgentEndpoint, user: string, password: string): Readonly<Record<string, string>> {
  const query = endpoint.sslmode === 'disable' || endpoint.sslmode === 'prefer' ? '' : `?sslmode=${endpoint.sslmode}`;
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return {
    PGHOST: endpoint.host,
    PGPORT: String(endpoint.port),
    PGDATABASE: endpoint.database,
    PGUSER: user,
    PGPASSWORD: password,
    PGSSLMODE: endpoint.sslmode,
    DATABASE_URL: `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${endpoint.port}/${encodeURIComponent(endpoint.database)}${query}`,
  };
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `KEY='value'` lines: readable by shells (`set -a; . file`), docker `--env-file` and dotenv. */
export function envFileText(variables: Readonly<Record<string, string>>): string {
  return `# Written by Steward; replaced on every rotation. Do not edit.\n${Object.entries(variables)
    .map(([k, v]) => `${k}=${shellQuote(v)}`)
    .join('\n')}\n`;
}

/** Reads back what `envFileText` writes (comments and other lines are skipped). */
export function parseEnvFileText(text: string): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)='(.*)'$/.exec(line);
    if (match) out[match[1]!] = match[2]!.replace(/'\\''/g, "'");
  }
  return out;
}

export function envFilePath(projectDir: string, file: string): string {
  return isAbsolute(file) ? file : resolve(projectDir, file);
}

/**
 * Replaces the file atomically: a reader sees the old content or the new, never a mix. Created
 * with mode 0600 (owner only) and synced before the rename, so a crash leaves one or the other.
 */
export async function writeEnvFile(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}

export async function deleteEnvFile(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
