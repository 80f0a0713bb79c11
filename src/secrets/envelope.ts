import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { StewardError } from '../core/index.js';
import type { Keyring, MasterKey } from './master-key.js';

/** One encrypted value as stored: every part base64, nothing readable without the master key. */
export interface Sealed {
  readonly ciphertext: string;
  readonly iv: string;
  readonly tag: string;
  /** The data key encrypted with the master key: iv (12 bytes) + tag (16) + key (32), base64. */
  readonly wrappedKey: string;
  /** Which master key wrapped the data key, checked before anything is decrypted. */
  readonly keyFingerprint: string;
}

/** What a value is bound to: the secret's id and the version, so a ciphertext cannot be moved. */
export function secretAad(secretId: string, version: number): Buffer {
  return Buffer.from(`steward secret ${secretId} v${version}`, 'utf8');
}

function wrapAad(aad: Buffer, fingerprint: string): Buffer {
  return Buffer.concat([Buffer.from(`steward data key ${fingerprint} `, 'utf8'), aad]);
}

function gcmEncrypt(key: Buffer, plaintext: Buffer, aad: Buffer): { readonly iv: Buffer; readonly tag: Buffer; readonly data: Buffer } {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, tag: cipher.getAuthTag(), data };
}

function gcmDecrypt(key: Buffer, iv: Buffer, tag: Buffer, data: Buffer, aad: Buffer, what: string): Buffer {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data), decipher.final()]);
  } catch {
    throw new StewardError('invalid-input', `${what} failed authentication: the stored value was altered or belongs elsewhere; nothing was decrypted`);
  }
}

function wrap(master: MasterKey, dataKey: Buffer, aad: Buffer): string {
  const { iv, tag, data } = gcmEncrypt(master.key, dataKey, wrapAad(aad, master.fingerprint));
  return Buffer.concat([iv, tag, data]).toString('base64');
}

function keyFor(keyring: Keyring, fingerprint: string, what: string): MasterKey {
  const found = [keyring.primary, ...keyring.others].find((k) => k.fingerprint === fingerprint);
  if (found === undefined) {
    throw new StewardError(
      'invalid-input',
      `${what} is wrapped by master key ${fingerprint}, but the key from ${keyring.primary.source} is ${keyring.primary.fingerprint}: wrong master key, nothing was decrypted`,
    );
  }
  return found;
}

function unwrap(keyring: Keyring, sealed: Sealed, aad: Buffer, what: string): Buffer {
  const master = keyFor(keyring, sealed.keyFingerprint, what);
  const blob = Buffer.from(sealed.wrappedKey, 'base64');
  if (blob.length !== 60) throw new StewardError('invalid-input', `${what}: the wrapped data key is malformed; nothing was decrypted`);
  return gcmDecrypt(master.key, blob.subarray(0, 12), blob.subarray(12, 28), blob.subarray(28), wrapAad(aad, master.fingerprint), `${what} (data key)`);
}

/** Encrypts with a fresh 256-bit data key, wrapped by the keyring's primary key. */
export function seal(keyring: Keyring, aad: Buffer, plaintext: string): Sealed {
  const dataKey = randomBytes(32);
  try {
    const { iv, tag, data } = gcmEncrypt(dataKey, Buffer.from(plaintext, 'utf8'), aad);
    return {
      ciphertext: data.toString('base64'),
      iv: iv.toString('base64'),
      tag: tag.toString('base64'),
      wrappedKey: wrap(keyring.primary, dataKey, aad),
      keyFingerprint: keyring.primary.fingerprint,
    };
  } finally {
    dataKey.fill(0);
  }
}

/** Decrypts; a wrong key or any altered byte is a clear error before any plaintext exists. */
export function open(keyring: Keyring, aad: Buffer, sealed: Sealed, what: string): string {
  const dataKey = unwrap(keyring, sealed, aad, what);
  try {
    const plain = gcmDecrypt(dataKey, Buffer.from(sealed.iv, 'base64'), Buffer.from(sealed.tag, 'base64'), Buffer.from(sealed.ciphertext, 'base64'), aad, what);
    return plain.toString('utf8');
  } finally {
    dataKey.fill(0);
  }
}

/** The same data key wrapped by `next`; the ciphertext is untouched. */
export function rewrap(keyring: Keyring, next: MasterKey, aad: Buffer, sealed: Pick<Sealed, 'wrappedKey' | 'keyFingerprint'>, what: string): Pick<Sealed, 'wrappedKey' | 'keyFingerprint'> {
  const dataKey = unwrap(keyring, { ...sealed, ciphertext: '', iv: '', tag: '' }, aad, what);
  try {
    return { wrappedKey: wrap(next, dataKey, aad), keyFingerprint: next.fingerprint };
  } finally {
    dataKey.fill(0);
  }
}
