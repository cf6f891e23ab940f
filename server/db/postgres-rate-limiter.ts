import { RateLimiterPostgres } from "rate-limiter-flexible";
import type { Queryable } from "./database.ts";

/**
 * A rate-limiter-flexible limiter whose counters live in the `rate_limits` table (migrations
 * create it), on either backend, so every server process shares them.
 */
export function postgresRateLimiter(db: Queryable, keyPrefix: string, points: number, durationSeconds: number): RateLimiterPostgres {
  return new RateLimiterPostgres({
    // The library calls `query({ text, values })`; our runner takes (sql, params).
    storeClient: { query: (q: { text: string; values?: unknown[] }) => db.query(q.text, q.values) },
    storeType: "pool",
    tableName: "rate_limits",
    tableCreated: true,
    clearExpiredByTimeout: false,
    keyPrefix,
    points,
    duration: durationSeconds,
  });
}
