/** An active pause: no mutation inside `scope` may start until it is resumed. */
export interface PauseRecord {
  readonly id: string;
  /** The canonical text form of the scope (see core/scope.ts), e.g. `kind:PostgresGrant`. */
  readonly scope: string;
  readonly reason: string;
  readonly actor: string;
  /** ISO 8601. */
  readonly createdAt: string;
}

export interface PauseInput {
  /** Any text form of a scope; stored in its canonical form. */
  readonly scope: string;
  readonly reason: string;
  readonly actor: string;
}

/**
 * The kill switch's record, shared by every process using the store. Pausing and resuming are
 * each one transaction with their audit entry: no entry, no pause (and no resume).
 */
export interface PauseStore {
  /** Pauses the scope; if it is already paused, the existing pause is returned unchanged (and the attempt audited). */
  pause(p: PauseInput): Promise<PauseRecord>;
  /** Resumes the scope; false when it was not paused (nothing is recorded then). */
  resume(p: { readonly scope: string; readonly actor: string }): Promise<boolean>;
  /** Active pauses, oldest first. */
  active(): Promise<readonly PauseRecord[]>;
}
