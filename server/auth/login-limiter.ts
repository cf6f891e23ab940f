import { type RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import type { Queryable } from "../db/database.ts";
import { postgresRateLimiter } from "../db/postgres-rate-limiter.ts";

// One address may be a whole gym's Wi-Fi: it gets this many times the per-username allowance.
const ADDRESS_ALLOWANCE_FACTOR = 10;

/**
 * Counts failed logins per username and per client address in the `rate_limits` table, through
 * rate-limiter-flexible's Postgres store, so every server process sees the same counts.
 */
export class LoginLimiter {
  private readonly byUsername: RateLimiterPostgres;
  private readonly byAddress: RateLimiterPostgres;

  constructor(db: Queryable, maxFailures: number, windowSeconds: number) {
    this.byUsername = postgresRateLimiter(db, "login:user", maxFailures, windowSeconds);
    this.byAddress = postgresRateLimiter(db, "login:addr", maxFailures * ADDRESS_ALLOWANCE_FACTOR, windowSeconds);
  }

  private pairs(username: string, address: string): Array<[RateLimiterPostgres, string]> {
    return [
      [this.byUsername, username.toLowerCase()],
      [this.byAddress, address],
    ];
  }

  /** Seconds to wait when the username or the address has used up its failures, else 0. */
  async retryAfterSeconds(username: string, address: string): Promise<number> {
    let waitMs = 0;
    for (const [rl, key] of this.pairs(username, address)) {
      const state = await rl.get(key);
      if (state && state.consumedPoints >= rl.points) waitMs = Math.max(waitMs, state.msBeforeNext);
    }
    return Math.ceil(waitMs / 1000);
  }

  /** Count one failed attempt against the username and the address. */
  async recordFailure(username: string, address: string): Promise<void> {
    for (const [rl, key] of this.pairs(username, address)) {
      await rl.penalty(key, 1).catch((error: unknown) => {
        if (!(error instanceof RateLimiterRes)) throw error;
      });
    }
  }

  /** A successful login forgets the username's failures (not the address's). */
  async recordSuccess(username: string): Promise<void> {
    await this.byUsername.delete(username.toLowerCase());
  }
}
