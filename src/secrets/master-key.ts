import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StewardError, errorMessage } from '../core/index.js';

/** A 256-bit master key and the fingerprint that names it in every wrapped data key. */
export interface MasterKey {
  readonly key: Buffer;
  /** 16 hex characters derived from the key (not a hash of it that could be brute-forced offline). */
  readonly fingerprint: string;
  /** Where it came from, for messages: `STEWARD_MASTER_KEY`, a file path or `key command`. */
  readonly source: string;
}

/**
 * The keys a store's data keys may be wrapped with: `primary` wraps new ones; `others` only
 * unwrap (a key being rotated in by an interrupted rekey, see `steward secret rekey`).
 */
export interface Keyring {
  readonly primary: MasterKey;
  readonly others: readonly MasterKey[];
}

export const KEY_FILE = 'master.key';
export const NEW_KEY_FILE = 'master.key.new';
export const MASTER_KEY_ENV = 'STEWARD_MASTER_KEY';
export const MASTER_KEY_COMMAND_ENV = 'STEWARD_MASTER_KEY_COMMAND';

export function keyFingerprint(key: Buffer): string {
  return createHmac('sha256', key).update('steward master key fingerprint v1').digest('hex').slice(0, 16);
}

export function masterKey(key: Buffer, source: string): MasterKey {
  if (key.length !== 32) {
    throw new StewardError('invalid-input', `the master key from ${source} is ${key.length} bytes; it must be 32 bytes (base64 or hex encoded)`);
  }
  return { key, fingerprint: keyFingerprint(key), source };
}

/** Decodes a key written as base64 (44 characters) or hex (64 characters). */
export function decodeKey(text: string, source: string): MasterKey {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return masterKey(Buffer.from(trimmed, 'hex'), source);
  if (/^[A-Za-z0-9+/]{43}=?$/.test(trimmed)) return masterKey(Buffer.from(trimmed, 'base64'), source);
  throw new StewardError('invalid-input', `the master key from ${source} is not 32 bytes written as base64 or hex`);
}

export function generateMasterKey(): MasterKey {
  return masterKey(randomBytes(32), 'a new key');
}

export function encodeKey(key: MasterKey): string {
  return `${key.key.toString('base64')}\n`;
}

async function readKeyFile(path: string): Promise<MasterKey | undefined> {
  try {
    return decodeKey(await readFile(path, 'utf8'), path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function runKeyCommand(command: string): MasterKey {
  try {
    const out = execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    return decodeKey(out, `${MASTER_KEY_COMMAND_ENV}`);
  } catch (error) {
    if (error instanceof StewardError) throw error;
    // The command's output may be the key: never include it, only the failure.
    throw new StewardError('invalid-input', `${MASTER_KEY_COMMAND_ENV} failed: ${errorMessage(error).split('\n')[0] ?? ''}`);
  }
}

/**
 * The master key, from (in this order) `STEWARD_MASTER_KEY`, `STEWARD_MASTER_KEY_COMMAND`, or the
 * key file `<stewardDir>/master.key` written by `steward init`. A key file left by an interrupted
 * rekey (`master.key.new`) joins the ring so whichever key the store uses opens it.
 * Returns undefined when no source is configured.
 */
export async function loadKeyring(stewardDir: string, env: NodeJS.ProcessEnv): Promise<Keyring | undefined> {
  const pending = await readKeyFile(join(stewardDir, NEW_KEY_FILE));
  const fromEnv = env[MASTER_KEY_ENV]?.trim();
  const command = env[MASTER_KEY_COMMAND_ENV]?.trim();
  const primary = fromEnv
    ? decodeKey(fromEnv, MASTER_KEY_ENV)
    : command
      ? runKeyCommand(command)
      : await readKeyFile(join(stewardDir, KEY_FILE));
  if (primary === undefined) return pending === undefined ? undefined : { primary: pending, others: [] };
  return { primary, others: pending === undefined || pending.fingerprint === primary.fingerprint ? [] : [pending] };
}

/** Writes a key file readable by its owner only, atomically (temporary file, then rename). */
export async function writeKeyFile(path: string, key: MasterKey): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, encodeKey(key), { mode: 0o600, flag: 'wx' });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}

/** Creates `<stewardDir>/master.key` unless it exists; returns whether it was created. */
export async function ensureKeyFile(stewardDir: string): Promise<boolean> {
  const path = join(stewardDir, KEY_FILE);
  await mkdir(stewardDir, { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, encodeKey(generateMasterKey()), { mode: 0o600, flag: 'wx' });
    await chmod(path, 0o600);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}
