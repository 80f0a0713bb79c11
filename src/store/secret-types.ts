import type { JsonValue } from '../core/resource.js';

export type SecretOrigin = 'generated' | 'external' | 'agent';
export type SecretVersionState = 'pending' | 'current' | 'previous' | 'destroyed';

export interface SecretRecord {
  readonly name: string;
  /** A UUID, bound into every version's ciphertext. */
  readonly id: string;
  readonly origin: SecretOrigin;
  /** The resource it belongs to (e.g. `Agent/billing-bot`), or null. */
  readonly owner: string | null;
  readonly createdAt: string;
}

/** An encrypted value exactly as stored (base64 parts; see src/secrets/envelope.ts). */
export interface SealedValue {
  readonly ciphertext: string;
  readonly iv: string;
  readonly tag: string;
  readonly wrappedKey: string;
  readonly keyFingerprint: string;
}

export interface SecretVersionRecord {
  readonly secretName: string;
  readonly secretId: string;
  readonly version: number;
  readonly state: SecretVersionState;
  /** Null once destroyed. */
  readonly sealed: SealedValue | null;
  /** The keyed hash shown instead of the value. */
  readonly hmac: string;
  readonly meta: JsonValue;
  readonly createdAt: string;
  readonly destroyAfter: string | null;
}

export interface NewSecretVersion {
  readonly state: 'pending' | 'current';
  readonly hmac: string;
  readonly meta?: JsonValue;
  /** Encrypts for the version number allocated (the id and version are authenticated data). */
  seal(secretId: string, version: number): SealedValue;
}

export interface SecretRepository {
  /** Creates the secret unless it exists; returns the record either way. */
  ensure(name: string, origin: SecretOrigin, owner: string | null): Promise<SecretRecord>;
  get(name: string): Promise<SecretRecord | undefined>;
  list(): Promise<readonly SecretRecord[]>;
  /** Newest first. */
  versions(name: string): Promise<readonly SecretVersionRecord[]>;
  /** Adds the next version; a `current` one demotes the present current version to `previous`. */
  addVersion(name: string, input: NewSecretVersion, previousDestroyAfter?: string | null): Promise<SecretVersionRecord>;
  /** Makes a pending version current, the current one previous (destroyed after the given time), in one transaction. */
  promote(name: string, version: number, previousDestroyAfter: string | null): Promise<void>;
  /** Wipes the encrypted parts of one version; its row stays as a record. */
  destroyVersion(name: string, version: number): Promise<void>;
  /** Destroys every `previous` version whose grace has ended; returns what was destroyed. */
  destroyExpired(now: Date): Promise<readonly { readonly name: string; readonly version: number }[]>;
  /** Destroys every version and removes the secret. */
  remove(name: string): Promise<void>;
  /**
   * Rewraps every stored data key in one transaction (ciphertexts untouched); `rewrap` gets the
   * version's row and returns the new wrapped key and fingerprint. Returns the number rewrapped.
   */
  rewrapAll(rewrap: (version: SecretVersionRecord) => Pick<SealedValue, 'wrappedKey' | 'keyFingerprint'>): Promise<number>;
  /** The keyed hash of the sensitive value last applied to `field` of `address`, if any. */
  appliedHash(address: string, field: string): Promise<string | undefined>;
  recordApplied(address: string, field: string, hmac: string): Promise<void>;
}

export type RotationStep = 'idle' | 'pending' | 'grace';

/** What Steward provisioned for one agent and where its rotation stands. */
export interface AgentIdentityRecord {
  readonly agent: string;
  readonly secretName: string;
  readonly instance: string;
  readonly database: string;
  readonly groupRole: string;
  readonly logins: readonly string[];
  /** The login whose password is published as current; null before the first credential. */
  readonly activeLogin: string | null;
  readonly envFile: string | null;
  readonly step: RotationStep;
  readonly pendingLogin: string | null;
  readonly pendingVersion: number | null;
  /** The login being retired once the grace period ends. */
  readonly retiringLogin: string | null;
  readonly graceUntil: string | null;
  readonly rotatedAt: string | null;
}

export interface IdentityRepository {
  get(agent: string): Promise<AgentIdentityRecord | undefined>;
  list(): Promise<readonly AgentIdentityRecord[]>;
  put(record: AgentIdentityRecord): Promise<void>;
  remove(agent: string): Promise<void>;
}
