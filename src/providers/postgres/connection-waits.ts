import type pg from 'pg';

/**
 * The statements of one instance that wait for a connection to open, and a way to learn when none
 * does. A new connection takes several round trips (its start-up, the password exchange), each
 * answered by this process: a plan that sets out to read its state meanwhile keeps them, and the
 * server, waiting. Told when every statement is on its way, it reads its state while the server
 * works on them instead.
 */
export class ConnectionWaits {
  #waiting = 0;
  #idle: (() => void)[] = [];

  /** A client of `pool`, counted as waiting until it is handed over (or cannot be). */
  async connect(pool: pg.Pool): Promise<pg.PoolClient> {
    this.#waiting += 1;
    try {
      return await pool.connect();
    } finally {
      this.#waiting -= 1;
      if (this.#waiting === 0 && this.#idle.length > 0) this.#release();
    }
  }

  /** Resolves once no statement waits for a connection: at once when none does. */
  sent(): Promise<void> {
    if (this.#waiting === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #release(): void {
    // On the next turn, not in this one: the caller sends its statement as soon as it has the
    // client, and those waiting here are told only after it has.
    setImmediate(() => {
      if (this.#waiting > 0) return;
      for (const resolve of this.#idle.splice(0)) resolve();
    });
  }
}
