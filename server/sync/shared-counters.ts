import type { Queryable } from "../db/database.ts";

/** How often a process adds what it counted to the shared store and learns the others' counts. */
export const RECONCILE_MS = 1_000;

/** One fixed-window counter as a decision sees it. */
export interface CounterState {
  /** Points consumed in the current window, this process's and (as of the last reconcile) everyone's. */
  consumedPoints: number;
  msBeforeNext: number;
}

interface Entry {
  consumed: number;
  expiresAt: number;
  /** Counted here since the last reconcile, not yet in the shared store. */
  unsynced: number;
}

/**
 * Fixed-window counters (as rate-limiter-flexible counts: `points` per `durationSeconds`, the
 * window starting at the first point) kept in memory, so a decision costs no database round trip,
 * and added to the shared `rate_limits` table in one statement per RECONCILE_MS for every key
 * counted meanwhile, which also brings back what the other processes counted. Across N processes
 * a key can go over its limit by at most what the other processes accept for it within one
 * reconcile interval; within one process the counts are exact.
 */
export class SharedCounters {
  private readonly entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | null = null;
  private reconciling: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly db: Queryable,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /** Count `points` against `key` (a full key, prefix included) in a window of `durationSeconds`. */
  consume(key: string, points: number, durationSeconds: number): CounterState {
    const now = Date.now();
    let entry = this.entries.get(key);
    if (!entry || entry.expiresAt <= now) {
      entry = { consumed: 0, expiresAt: now + durationSeconds * 1000, unsynced: 0 };
      this.entries.set(key, entry);
    }
    entry.consumed += points;
    entry.unsynced += points;
    this.schedule();
    return { consumedPoints: entry.consumed, msBeforeNext: entry.expiresAt - now };
  }

  /** Add everything counted here to the shared store now, and learn the totals (also at shutdown). */
  async reconcile(): Promise<void> {
    while (this.reconciling) await this.reconciling;
    const batch = [...this.entries].filter(([, e]) => e.unsynced > 0);
    if (batch.length === 0) return;
    const sent = new Map(batch.map(([key, e]) => [key, { entry: e, points: e.unsynced }]));
    this.reconciling = this.push(batch, sent).finally(() => {
      this.reconciling = null;
    });
    await this.reconciling;
  }

  private async push(batch: Array<[string, Entry]>, sent: Map<string, { entry: Entry; points: number }>): Promise<void> {
    const now = Date.now();
    try {
      // The upsert rate-limiter-flexible's Postgres store runs, for many keys at once.
      const { rows } = await this.db.query<{ key: string; points: number; expire: number | string }>(
        `INSERT INTO rate_limits AS r (key, points, expire)
         SELECT k, p, e FROM unnest($1::text[], $2::int[], $3::bigint[]) AS t(k, p, e)
         ON CONFLICT (key) DO UPDATE SET
           points = CASE WHEN r.expire <= $4 THEN EXCLUDED.points ELSE r.points + EXCLUDED.points END,
           expire = CASE WHEN r.expire <= $4 THEN EXCLUDED.expire ELSE r.expire END
         RETURNING key, points, expire`,
        [batch.map(([key]) => key), batch.map(([, e]) => e.unsynced), batch.map(([, e]) => e.expiresAt), now],
      );
      for (const row of rows) {
        const was = sent.get(row.key);
        if (!was) continue;
        was.entry.unsynced -= was.points;
        // A window that rolled over here while the statement ran starts afresh: leave it alone.
        const entry = this.entries.get(row.key);
        if (entry !== was.entry) continue;
        // What was counted here while the statement ran stays unsynced, on top of the shared total.
        entry.consumed = row.points + entry.unsynced;
        entry.expiresAt = Number(row.expire);
      }
    } catch (error) {
      // Kept unsynced: the next reconcile adds it, in an interval even if nothing more is counted.
      this.onError(error);
      if (!this.closed) this.schedule();
    }
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now && entry.unsynced <= 0) this.entries.delete(key);
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.reconcile();
    }, RECONCILE_MS).unref();
  }

  /** Stop the timer and add what is left (before the database closes). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.reconcile();
  }
}
