import { type RateLimiterAbstract, RateLimiterRes } from "rate-limiter-flexible";
import { HttpError } from "./http-error.ts";

/**
 * Count one `what` for `key` against a shared limiter (counters in the database, so every process
 * sees the same); past the limit, 429 `rate_limited` with Retry-After.
 */
export async function consumeOrRefuse(limiter: RateLimiterAbstract, key: string, what: string, points = 1): Promise<void> {
  try {
    await limiter.consume(key, points);
  } catch (error) {
    if (!(error instanceof RateLimiterRes)) throw error;
    const wait = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
    throw new HttpError("rate_limited", `Too many ${what}. Try again in ${wait} s.`, { "retry-after": String(wait) });
  }
}
