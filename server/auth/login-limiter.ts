import { type RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import type { Queryable } from "../db/database.ts";
import { postgresRateLimiter } from "../db/postgres-rate-limiter.ts";

// One address may be a whole gym's Wi-Fi: it gets this many times the per-username allowance.
const ADDRESS_ALLOWANCE_FACTOR = 10;

/**
 * Limits login attempts per username and per client address in the `rate_limits` table, through
 * rate-limiter-flexible's Postgres store, so every server process sees the same counts.
 *
 * An attempt is counted before its password is checked (`consume` is one atomic upsert), and a
 * successful one is given back: counting only after a failed check let a burst of parallel
 * guesses all be checked before the first failure was written.
 */
export class LoginLimiter {
  private readonly byUsername: RateLimiterPostgres;
  private readonly byAddress: RateLimiterPostgres;

  constructor(db: Queryable, maxFailures: number, windowSeconds: number) {
    this.byUsername = postgresRateLimiter(db, "login:user", maxFailures, windowSeconds);
    this.byAddress = postgresRateLimiter(db, "login:addr", maxFailures * ADDRESS_ALLOWANCE_FACTOR, windowSeconds);
  }

  /**
   * Count one attempt against the username and the address: 0 when it may go on to the password
   * check, else the seconds to wait. A refused attempt leaves the other counter as it was.
   */
  async begin(username: string, address: string): Promise<number> {
    const user = username.toLowerCase();
    const userWait = await take(this.byUsername, user);
    if (userWait > 0) return userWait;
    const addressWait = await take(this.byAddress, address);
    if (addressWait > 0) await this.byUsername.reward(user, 1);
    return addressWait;
  }

  /** The password was right: the username's failures are forgotten and the address's attempt given back. */
  async succeeded(username: string, address: string): Promise<void> {
    await this.byUsername.delete(username.toLowerCase());
    await this.byAddress.reward(address, 1);
  }
}

/** Consume one point: 0 when within the allowance, else the seconds until the window ends. */
async function take(limiter: RateLimiterPostgres, key: string): Promise<number> {
  try {
    await limiter.consume(key, 1);
    return 0;
  } catch (error) {
    // The library rejects with a RateLimiterRes when over the allowance, with an Error when the store fails.
    if (!(error instanceof RateLimiterRes)) throw error;
    return Math.max(1, Math.ceil(error.msBeforeNext / 1000));
  }
}
