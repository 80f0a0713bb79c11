import { StewardError } from '../../core/index.js';
import { open, seal, secretAad, sensitiveHash, type Keyring } from '../../secrets/index.js';
import type { JsonValue } from '../../core/index.js';
import type { SecretOrigin, SecretVersionRecord, Store } from '../../store/index.js';

export interface WriteOptions {
  readonly origin: SecretOrigin;
  readonly owner: string | null;
  readonly state: 'current' | 'pending';
  readonly meta?: JsonValue;
  /** For a new current version: how long the one it replaces stays readable. */
  readonly graceSeconds?: number;
  readonly runId?: string | null;
}

export interface ReadValue {
  readonly value: string;
  readonly version: SecretVersionRecord;
}

/**
 * The secret store as the rest of Steward uses it: values go in and out in plaintext here and
 * nowhere else; the store only ever sees sealed values and keyed hashes. Writes and destructions
 * are audited with the actor, showing `(sensitive) hmac:...` for the value.
 */
export class Vault {
  constructor(
    readonly store: Store,
    readonly keyring: Keyring,
    readonly actor: string,
  ) {}

  hash(value: string): string {
    return sensitiveHash(this.keyring.primary, value);
  }

  async write(name: string, value: string, options: WriteOptions): Promise<SecretVersionRecord> {
    await this.store.secrets.ensure(name, options.origin, options.owner);
    const hmac = this.hash(value);
    const destroyAfter = options.graceSeconds === undefined ? null : new Date(Date.now() + options.graceSeconds * 1000).toISOString();
    const record = await this.store.secrets.addVersion(
      name,
      { state: options.state, hmac, ...(options.meta === undefined ? {} : { meta: options.meta }), seal: (id, version) => seal(this.keyring, secretAad(id, version), value) },
      destroyAfter,
    );
    await this.audit(options.runId ?? null, name, 'secret.version.create', { version: record.version, state: record.state, value: `(sensitive) ${hmac}` });
    return record;
  }

  decrypt(version: SecretVersionRecord): string {
    if (version.sealed === null) throw new StewardError('not-found', `version ${version.version} of secret '${version.secretName}' was destroyed`);
    return open(this.keyring, secretAad(version.secretId, version.version), version.sealed, `secret '${version.secretName}' version ${version.version}`);
  }

  /** The current version (or the given one), decrypted. */
  async read(name: string, version?: number): Promise<ReadValue> {
    const versions = await this.store.secrets.versions(name);
    if (versions.length === 0) throw new StewardError('not-found', `secret '${name}' has no value yet (apply creates generated ones; \`steward secret set ${name}\` sets external ones)`);
    const found = version === undefined ? versions.find((v) => v.state === 'current') : versions.find((v) => v.version === version);
    if (found === undefined) throw new StewardError('not-found', `secret '${name}' has no ${version === undefined ? 'current version' : `version ${version}`}`);
    return { value: this.decrypt(found), version: found };
  }

  async destroy(name: string, runId: string | null): Promise<void> {
    const versions = await this.store.secrets.versions(name);
    await this.store.secrets.remove(name);
    await this.audit(runId, name, 'secret.destroy', { versions: versions.map((v) => v.version) });
  }

  async audit(runId: string | null, name: string, action: string, detail: unknown, outcome: 'succeeded' | 'info' = 'succeeded'): Promise<void> {
    await this.store.audit.append({ actor: this.actor, runId, address: `Secret/${name}`, action, beforeHash: null, afterHash: null, outcome, error: null, detail });
  }
}
