export interface Lease {
  readonly resource: string;
  readonly holder: string;
  /** ISO 8601. */
  readonly acquiredAt: string;
  readonly expiresAt: string;
}

/**
 * Leases on resources for agent replicas sharing one store. The database's clock decides expiry,
 * so replicas on machines with skewed clocks still agree. A lease is taken when it is free or
 * expired, and renewed by its holder; nobody else can take it before it expires.
 */
export interface LeaseRepository {
  /** Takes or renews each resource's lease for `ttlMs`; returns those `holder` holds now. */
  claim(resources: readonly string[], holder: string, ttlMs: number): Promise<ReadonlySet<string>>;
  /** Gives up the holder's leases (all of them when `resources` is absent). */
  release(holder: string, resources?: readonly string[]): Promise<void>;
  list(): Promise<readonly Lease[]>;
}
