import { createHmac, hkdfSync } from 'node:crypto';
import type { MasterKey } from './master-key.js';

/** The marker every sensitive value is shown as, followed by its keyed hash. */
export const SENSITIVE = '(sensitive)';

/**
 * Shows that a sensitive value changed without revealing it: HMAC-SHA-256 under a key derived
 * from the master key (HKDF), so nobody without the master key can test guesses against it.
 */
export function sensitiveHash(master: MasterKey, value: string): string {
  const key = Buffer.from(hkdfSync('sha256', master.key, Buffer.alloc(0), 'steward sensitive value hmac v1', 32));
  return `hmac:${createHmac('sha256', key).update(value, 'utf8').digest('hex').slice(0, 24)}`;
}

export function showSensitive(master: MasterKey, value: string): string {
  return `${SENSITIVE} ${sensitiveHash(master, value)}`;
}
