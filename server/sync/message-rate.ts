import { type RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import type { Queryable } from "../db/database.ts";
import { postgresRateLimiter } from "../db/postgres-rate-limiter.ts";

/** The longest an acknowledgement is held back to pace a burst. */
const MAX_PACING_DELAY_MS = 5_000;

/** A burst this many times over a pace is a flood, refused rather than paced. */
const FLOOD_FACTOR = 10;

/** How long a room's slow-mode setting and a member's role are reused before they are read again. */
const SETTINGS_TTL_MS = 5_000;

/** What to do with new messages. */
export type RateDecision = { action: "accept" } | { action: "delay"; ms: number } | { action: "refuse"; retryAfterSeconds: number };

/** The limits that apply to one send. */
export interface RateLimits {
  perUserPerMinute: number;
  perUserPerTenMinutes: number;
  perRoomPerMinute: number;
  /** Benchmarks only: accept everything without counting. */
  disabled?: boolean;
}

interface Pace {
  limiter: RateLimiterPostgres;
  key: string;
  msPerMessage: number;
}

/**
 * Message rates over every path (WebSocket and REST) and every server process, counted in
 * PostgreSQL (rate-limiter-flexible): per user, per room, and a room's slow mode (one message per
 * member per N seconds, set by a group admin; admins are exempt). A burst above a pace (an offline
 * backlog arriving at once, a quick exchange) is delayed, never refused; a flood far above a pace,
 * or above the per-user ten-minute limit, is refused.
 */
export class MessageRateLimiter {
  private readonly userPace: RateLimiterPostgres;
  private readonly userAbuse: RateLimiterPostgres;
  private readonly roomPace: RateLimiterPostgres;
  private readonly slowModes = new Map<number, RateLimiterPostgres>();
  // A short-lived copy of what the database says, so a busy room is not asked on every message.
  private readonly settings = new Map<string, { at: number; seconds: number; exempt: boolean }>();

  constructor(
    private readonly db: Queryable,
    private readonly limits: RateLimits,
  ) {
    this.userPace = postgresRateLimiter(db, "messages:user", limits.perUserPerMinute, 60);
    this.userAbuse = postgresRateLimiter(db, "messages:abuse", limits.perUserPerTenMinutes, 600);
    this.roomPace = postgresRateLimiter(db, "messages:room", limits.perRoomPerMinute, 60);
  }

  /** Count `messages` new messages of `userId` in `roomId` and decide. */
  async decide(userId: string, roomId: string, messages: number): Promise<RateDecision> {
    if (messages <= 0 || this.limits.disabled) return { action: "accept" };
    const slow = await this.slowModeFor(userId, roomId);
    const paces: Pace[] = [
      { limiter: this.userPace, key: userId, msPerMessage: 60_000 / this.limits.perUserPerMinute },
      { limiter: this.roomPace, key: roomId, msPerMessage: 60_000 / this.limits.perRoomPerMinute },
      ...(slow ? [slow] : []),
    ];
    // Every counter counts the messages whatever the others say, so they are asked at once:
    // one round trip of latency instead of one per counter.
    const [abuse, ...paced] = await Promise.all(
      [{ limiter: this.userAbuse, key: userId }, ...paces].map(({ limiter, key }) =>
        limiter.consume(key, messages).then(
          () => null,
          (error: unknown) => {
            if (error instanceof RateLimiterRes) return error;
            throw error;
          },
        ),
      ),
    );
    if (abuse) return { action: "refuse", retryAfterSeconds: Math.max(1, Math.ceil(abuse.msBeforeNext / 1000)) };
    let delay = 0;
    paces.forEach((pace, i) => {
      const over = paced[i];
      if (!over) return;
      // Each message over the pace waits its share, like a leaky bucket; far over is a flood.
      const excess = over.consumedPoints - pace.limiter.points;
      delay = Math.max(delay, excess > FLOOD_FACTOR * pace.limiter.points ? Number.POSITIVE_INFINITY : excess * pace.msPerMessage);
    });
    if (delay === Number.POSITIVE_INFINITY) {
      const retry = Math.max(...paced.map((p) => p?.msBeforeNext ?? 0));
      return { action: "refuse", retryAfterSeconds: Math.max(1, Math.ceil(retry / 1000)) };
    }
    return delay > 0 ? { action: "delay", ms: Math.min(MAX_PACING_DELAY_MS, delay) } : { action: "accept" };
  }

  /** The room's slow mode for this member, or null when it is off or they are an admin. */
  private async slowModeFor(userId: string, roomId: string): Promise<Pace | null> {
    const key = `${roomId}:${userId}`;
    let setting = this.settings.get(key);
    if (!setting || Date.now() - setting.at > SETTINGS_TTL_MS) {
      const { rows } = await this.db.query<{ slow_mode_seconds: number; role: string | null }>(
        `SELECT r.slow_mode_seconds, p.role FROM chat_rooms r
           LEFT JOIN chat_participants p ON p.room_id = r.id AND p.user_id = $2
          WHERE r.id = $1`,
        [roomId, userId],
      );
      setting = { at: Date.now(), seconds: rows[0]?.slow_mode_seconds ?? 0, exempt: rows[0]?.role === "admin" };
      if (this.settings.size > 10_000) this.settings.clear();
      this.settings.set(key, setting);
    }
    const seconds = setting.seconds;
    if (seconds <= 0 || setting.exempt) return null;
    let limiter = this.slowModes.get(seconds);
    if (!limiter) {
      limiter = postgresRateLimiter(this.db, `messages:slow${seconds}`, 1, seconds);
      this.slowModes.set(seconds, limiter);
    }
    return { limiter, key: `${roomId}:${userId}`, msPerMessage: seconds * 1000 };
  }
}
