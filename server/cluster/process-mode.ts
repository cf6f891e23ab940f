import pg from "pg";

// Namespace and key of the session lock that says how processes share this database.
const MODE_LOCK_CLASS = 7;
const MODE_LOCK_KEY = 1;
// A process killed a moment ago may still hold its lock until PostgreSQL notices its socket closed.
const WAIT_FOR_PREDECESSOR_MS = 10_000;

/** Thrown when this process may not serve beside the ones already on the database. */
export class ProcessModeConflict extends Error {}

/**
 * How this process shares its PostgreSQL with others, held as a session advisory lock for as long
 * as the process runs: alone (no REDIS_URL) takes it exclusively, so a second process on the same
 * database refuses to start with a clear message instead of serving rooms beside the first
 * unsynchronized; in a cluster (REDIS_URL) every process takes it shared. A process killed with
 * SIGKILL loses its lock when PostgreSQL sees its connection close; a successor waits that long.
 * When PostgreSQL restarts, the lock is taken again on a new connection.
 */
export class ProcessMode {
  private client: pg.Client | null = null;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  private constructor(
    private readonly connectionString: string,
    readonly clustered: boolean,
    private readonly onError: (error: unknown) => void,
  ) {}

  static async take(connectionString: string, clustered: boolean, onError: (error: unknown) => void): Promise<ProcessMode> {
    const mode = new ProcessMode(connectionString, clustered, onError);
    await mode.lock(Date.now() + WAIT_FOR_PREDECESSOR_MS);
    return mode;
  }

  private async lock(deadline: number): Promise<void> {
    for (;;) {
      const client = new pg.Client({ connectionString: this.connectionString });
      client.on("error", () => {});
      await client.connect();
      const fn = this.clustered ? "pg_try_advisory_lock_shared" : "pg_try_advisory_lock";
      const { rows } = await client.query<{ held: boolean }>(`SELECT ${fn}($1, $2) AS held`, [MODE_LOCK_CLASS, MODE_LOCK_KEY]);
      if (rows[0]?.held) {
        this.hold(client);
        return;
      }
      await client.end().catch(() => {});
      if (Date.now() > deadline) {
        throw new ProcessModeConflict(
          this.clustered
            ? "another server process uses this database without REDIS_URL: stop it, or set the same REDIS_URL on every process"
            : "another server process already uses this database: run one process, or set the same REDIS_URL on every process to run several",
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Keep the locked connection; when it is lost, take the lock again on a new one. */
  private hold(client: pg.Client): void {
    this.client = client;
    const lost = (error: unknown) => {
      if (this.client !== client || this.closed) return;
      this.client = null;
      this.onError(error);
      const again = () => {
        if (this.closed) return;
        this.lock(Date.now() + WAIT_FOR_PREDECESSOR_MS).catch((e: unknown) => {
          this.onError(e);
          this.retry = setTimeout(again, 1_000);
        });
      };
      this.retry = setTimeout(again, 200);
    };
    client.removeAllListeners("error");
    client.on("error", lost);
    client.on("end", () => lost(new Error("process mode: the locked connection ended")));
  }

  /** True while the lock is held (false while PostgreSQL is away). */
  get held(): boolean {
    return this.client !== null;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }
}
