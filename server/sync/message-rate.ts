import type { Queryable } from "../db/database.ts";
import { type CounterState, SharedCounters } from "./shared-counters.ts";

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

/** One counter: `points` per `seconds`, under its own key prefix in the shared table. */
interface Limit {
  prefix: string;
  points: number;
  seconds: number;
}

interface Pace {
  limit: Limit;
  key: string;
  msPerMessage: number;
}

/**
 * Message rates over every path (WebSocket and REST) and every server process: per user, per
 * room, and a room's slow mode (one message per member per N seconds, set by a group admin;
 * admins are exempt). A burst above a pace (an offline backlog arriving at once, a quick exchange)
 * is delayed, never refused; a flood far above a pace, or above the per-user ten-minute limit, is
 * refused. Counted in memory and shared through PostgreSQL in batches (SharedCounters), so a
 * message costs no round trip; across processes a limit holds within one reconcile interval.
 */
export class MessageRateLimiter {
  private readonly userPace: Limit;
  private readonly userAbuse: Limit;
  private readonly roomPace: Limit;
  readonly counters: SharedCounters;
  // A short-lived copy of what the database says, so a busy room is not asked on every message.
  private readonly settings = new Map<string, { at: number; seconds: number; exempt: boolean }>();

  constructor(
    private readonly db: Queryable,
    private readonly limits: RateLimits,
    onError: (error: unknown) => void = () => {},
  ) {
    this.counters = new SharedCounters(db, onError);
    this.userPace = { prefix: "messages:user", points: limits.perUserPerMinute, seconds: 60 };
    this.userAbuse = { prefix: "messages:abuse", points: limits.perUserPerTenMinutes, seconds: 600 };
    this.roomPace = { prefix: "messages:room", points: limits.perRoomPerMinute, seconds: 60 };
  }

  private countOne({ prefix, seconds }: Limit, key: string, messages: number): CounterState {
    return this.counters.consume(`${prefix}:${key}`, messages, seconds);
  }

  /** Count `messages` new messages of `userId` in `roomId` and decide. */
  async decide(userId: string, roomId: string, messages: number): Promise<RateDecision> {
    return (await this.forSender(userId, roomId))(messages);
  }

  /**
   * The counter of `userId`'s messages in `roomId`, with the room's slow mode looked up (cached):
   * counting and deciding is then synchronous, in memory, so it can sit inside the one admission
   * decision and run only once every other check passed.
   */
  async forSender(userId: string, roomId: string): Promise<(messages: number) => RateDecision> {
    if (this.limits.disabled) return () => ({ action: "accept" });
    const slow = await this.slowModeFor(userId, roomId);
    return (messages) => this.count(userId, roomId, slow, messages);
  }

  /** `forSender` for a member of a loaded room, whose slow mode and role the caller knows: no query. */
  forMember(userId: string, roomId: string, room: { slowModeSeconds: number; exempt: boolean }): (messages: number) => RateDecision {
    if (this.limits.disabled) return () => ({ action: "accept" });
    const slow = this.slowPace(userId, roomId, room.slowModeSeconds, room.exempt);
    return (messages) => this.count(userId, roomId, slow, messages);
  }

  private count(userId: string, roomId: string, slow: Pace | null, messages: number): RateDecision {
    if (messages <= 0) return { action: "accept" };
    const paces: Pace[] = [
      { limit: this.userPace, key: userId, msPerMessage: 60_000 / this.limits.perUserPerMinute },
      { limit: this.roomPace, key: roomId, msPerMessage: 60_000 / this.limits.perRoomPerMinute },
      ...(slow ? [slow] : []),
    ];
    // Every counter counts the messages whatever the others say.
    const abuse = this.countOne(this.userAbuse, userId, messages);
    const paced = paces.map((pace) => this.countOne(pace.limit, pace.key, messages));
    if (abuse.consumedPoints > this.userAbuse.points) {
      return { action: "refuse", retryAfterSeconds: Math.max(1, Math.ceil(abuse.msBeforeNext / 1000)) };
    }
    let delay = 0;
    paces.forEach((pace, i) => {
      const state = paced[i] as CounterState;
      // Each message over the pace waits its share, like a leaky bucket; far over is a flood.
      const excess = state.consumedPoints - pace.limit.points;
      if (excess <= 0) return;
      delay = Math.max(delay, excess > FLOOD_FACTOR * pace.limit.points ? Number.POSITIVE_INFINITY : excess * pace.msPerMessage);
    });
    if (delay === Number.POSITIVE_INFINITY) {
      const retry = Math.max(...paced.map((p) => p.msBeforeNext));
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
    return this.slowPace(userId, roomId, setting.seconds, setting.exempt);
  }

  private slowPace(userId: string, roomId: string, seconds: number, exempt: boolean): Pace | null {
    if (seconds <= 0 || exempt) return null;
    return { limit: { prefix: `messages:slow${seconds}`, points: 1, seconds }, key: `${roomId}:${userId}`, msPerMessage: seconds * 1000 };
  }
}
