import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { errorMessage } from '../../core/index.js';
import { parseEnvFileText } from './deliver.js';

/** What a probe saw: logins that worked, the users they were made as, and the first failures. */
export interface LoginProbeResult {
  readonly logins: number;
  readonly failedLogins: number;
  readonly users: ReadonlySet<string>;
  /** The first few failure messages (never a credential: the driver's messages name the user only). */
  readonly failures: readonly string[];
}

/**
 * A runtime that re-reads the delivered env file before every login, logs in with its
 * DATABASE_URL and runs `query`, in a loop until stopped: how rotations are shown to cost no
 * failed login (the rotation benchmark and tests).
 */
export class LoginProbe {
  #running = true;
  #logins = 0;
  #failed = 0;
  readonly #users = new Set<string>();
  readonly #failures: string[] = [];
  readonly #loops: Promise<void>[];

  constructor(
    private readonly envFile: string,
    private readonly query: string,
    clients = 1,
  ) {
    this.#loops = Array.from({ length: clients }, () => this.#loop());
  }

  async #loop(): Promise<void> {
    while (this.#running) {
      const vars = parseEnvFileText(await readFile(this.envFile, 'utf8'));
      const session = new pg.Client({ connectionString: vars['DATABASE_URL'] });
      session.on('error', () => undefined);
      try {
        await session.connect();
        await session.query(this.query);
        this.#logins += 1;
        this.#users.add(vars['PGUSER'] ?? '');
      } catch (error) {
        this.#failed += 1;
        if (this.#failures.length < 5) this.#failures.push(errorMessage(error));
      } finally {
        await session.end().catch(() => undefined);
      }
    }
  }

  /** Stops after the logins in progress and reports. */
  async stop(): Promise<LoginProbeResult> {
    this.#running = false;
    await Promise.all(this.#loops);
    return { logins: this.#logins, failedLogins: this.#failed, users: this.#users, failures: [...this.#failures] };
  }
}
