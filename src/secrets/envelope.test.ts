import { describe, expect, it } from 'vitest';
import { open, rewrap, seal, secretAad } from './envelope.js';
import { generateSecret } from './generate.js';
import { sensitiveHash } from './keyed-hash.js';
import { decodeKey, generateMasterKey, type Keyring } from './master-key.js';
import { scramVerifier } from './scram.js';

const ring = (primary = generateMasterKey()): Keyring => ({ primary, others: [] });

describe('envelope encryption', () => {
  it('round-trips with a fresh data key per value, bound to the secret id and version', () => {
    const keyring = ring();
    const aad = secretAad('0d9e7c1e-0000-4000-8000-000000000001', 1);
    const a = seal(keyring, aad, 'hunter2-correct-horse');
    const b = seal(keyring, aad, 'hunter2-correct-horse');
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(a.wrappedKey).not.toBe(b.wrappedKey);
    expect(JSON.stringify(a)).not.toContain('hunter2');
    expect(open(keyring, aad, a, 'test')).toBe('hunter2-correct-horse');
    // Moved to another version or secret: authentication fails.
    expect(() => open(keyring, secretAad('0d9e7c1e-0000-4000-8000-000000000001', 2), a, 'test')).toThrow(/failed authentication/);
  });

  it('names a wrong master key before decrypting anything', () => {
    const sealed = seal(ring(), secretAad('id', 1), 'value');
    const other = ring();
    expect(() => open(other, secretAad('id', 1), sealed, "secret 'x' version 1")).toThrow(
      new RegExp(`wrapped by master key ${sealed.keyFingerprint}, but the key from a new key is ${other.primary.fingerprint}: wrong master key`),
    );
  });

  it('rejects a tampered ciphertext, tag or wrapped key', () => {
    const keyring = ring();
    const aad = secretAad('id', 1);
    const sealed = seal(keyring, aad, 'value-value-value');
    const flip = (b64: string): string => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[bytes.length - 1]! ^= 1;
      return bytes.toString('base64');
    };
    expect(() => open(keyring, aad, { ...sealed, ciphertext: flip(sealed.ciphertext) }, 'x')).toThrow(/failed authentication/);
    expect(() => open(keyring, aad, { ...sealed, tag: flip(sealed.tag) }, 'x')).toThrow(/failed authentication/);
    expect(() => open(keyring, aad, { ...sealed, wrappedKey: flip(sealed.wrappedKey) }, 'x')).toThrow(/data key\) failed authentication/);
  });

  it('rewraps the data key under a new master key without touching the ciphertext', () => {
    const old = ring();
    const next = generateMasterKey();
    const aad = secretAad('id', 3);
    const sealed = seal(old, aad, 'value');
    const moved = { ...sealed, ...rewrap(old, next, aad, sealed, 'x') };
    expect(moved.ciphertext).toBe(sealed.ciphertext);
    expect(moved.keyFingerprint).toBe(next.fingerprint);
    expect(open(ring(next), aad, moved, 'x')).toBe('value');
    expect(() => open(old, aad, moved, 'x')).toThrow(/wrong master key/);
  });

  it('accepts keys as base64 or hex and refuses other lengths', () => {
    const key = generateMasterKey();
    expect(decodeKey(key.key.toString('base64'), 'env').fingerprint).toBe(key.fingerprint);
    expect(decodeKey(key.key.toString('hex'), 'env').fingerprint).toBe(key.fingerprint);
    expect(() => decodeKey('c2hvcnQ=', 'STEWARD_MASTER_KEY')).toThrow(/STEWARD_MASTER_KEY is not 32 bytes/);
  });
});

describe('values shown instead of secrets', () => {
  it('is a keyed hash: stable under one key, different under another', () => {
    const key = generateMasterKey();
    expect(sensitiveHash(key, 'v')).toBe(sensitiveHash(key, 'v'));
    expect(sensitiveHash(key, 'v')).toMatch(/^hmac:[0-9a-f]{24}$/);
    expect(sensitiveHash(generateMasterKey(), 'v')).not.toBe(sensitiveHash(key, 'v'));
  });
});

describe('generated values and SCRAM verifiers', () => {
  it('draws from every requested class', () => {
    for (let i = 0; i < 50; i++) {
      const value = generateSecret(12, ['lower', 'upper', 'digits', 'symbols']);
      expect(value).toHaveLength(12);
      expect(value).toMatch(/[a-z]/);
      expect(value).toMatch(/[A-Z]/);
      expect(value).toMatch(/[0-9]/);
      expect(value).toMatch(/[-_.~+=^]/);
    }
  });

  it('matches the RFC 7677 test vector', () => {
    // RFC 7677 section 3: password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096 iterations.
    const verifier = scramVerifier('pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'), 4096);
    expect(verifier).toBe('SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=');
  });
});
