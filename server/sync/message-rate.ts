import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import type { Queryable } from "../db/database.ts";

/** The longest an acknowledgement is held back to pace a burst. */
const MAX_PACING_DELAY_MS = 5_000;

function postgresLimiter(db: Queryable, keyPrefix: string, points: number, duration: number): RateLimiterPostgres {
  return new RateLimiterPostgres({
    // The library calls `query({ text, values })`; our runner takes (sql, params).
    storeClient: { query: (q: { text: string; values?: unknown[] }) => db.query(q.text, q.values) },
    storeType: "pool",
    tableName: "rate_limits",
    tableCreated: true,
    clearExpiredByTimeout: false,
    keyPrefix,
    points,
    duration,
  });
}

/** What to do with a user's new messages. */
export type RateDecision = { action: "accept" } | { action: "delay"; ms: number } | { action: "refuse"; retryAfterSeconds: number };

/**
 * Message rate per user, over every path (WebSocket and REST) and every server process: the
 * counters live in PostgreSQL (rate-limiter-flexible). A burst above the pace (an offline backlog
 * arriving at once, a quick exchange) is delayed, never refused; only a sustained flood above the
 * abuse limit is refused.
 */
export class MessageRateLimiter {
  private readonly pace: RateLimiterPostgres;
  private readonly abuse: RateLimiterPostgres;
  private readonly msPerMessage: number;

  constructor(db: Queryable, perMinute: number, abusePerTenMinutes: number) {
    this.msPerMessage = 60_000 / perMinute;
    this.pace = postgresLimiter(db, "messages:pace", perMinute, 60);
    this.abuse = postgresLimiter(db, "messages:abuse", abusePerTenMinutes, 600);
  }

  /** Count `messages` new messages of `userId` and decide. */
  async decide(userId: string, messages: number): Promise<RateDecision> {
    if (messages <= 0) return { action: "accept" };
    try {
      await this.abuse.consume(userId, messages);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      return { action: "refuse", retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)) };
    }
    try {
      await this.pace.consume(userId, messages);
      return { action: "accept" };
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      // Each message over the pace waits its share of the minute, like a leaky bucket.
      const excess = error.consumedPoints - this.pace.points;
      return { action: "delay", ms: Math.min(MAX_PACING_DELAY_MS, excess * this.msPerMessage) };
    }
  }
}
