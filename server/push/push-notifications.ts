import type { Config } from "../config.ts";
import type { Queryable } from "../db/database.ts";
import type { Logger } from "../logger.ts";
import type { AcceptedMessage } from "../sync/room-writer.ts";
import { PushDispatcher } from "./dispatcher.ts";
import { addFriendRequest, addRoomMessages } from "./pending.ts";
import { loadVapidKeys } from "./vapid-keys.ts";

/** How long a room's accepted messages are gathered before its members' notifications are noted. */
const FAN_OUT_MS = 100;

type PushConfig = Pick<
  Config,
  | "VAPID_PUBLIC_KEY"
  | "VAPID_PRIVATE_KEY"
  | "VAPID_SUBJECT"
  | "PUSH_COLLAPSE_SECONDS"
  | "PUSH_DISPATCH_INTERVAL_MS"
  | "PUSH_ALLOW_INSECURE_ENDPOINTS"
>;

/**
 * Web Push for one server process (docs/push.md): what happens becomes a pending notification in
 * the database, and this process's dispatcher sends those that are due, as every other process's
 * does. Nothing here waits on a push: the callers (a message being stored, a friend request) go
 * on at once, and a failure is logged, never theirs.
 */
export class PushNotifications {
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Messages accepted per room since the last fan-out: one recipients query for all of them, not one per message or room. */
  private readonly accepted = new Map<string, AcceptedMessage[]>();
  private fanOut: NodeJS.Timeout | null = null;

  private constructor(
    private readonly db: Queryable,
    private readonly logger: Logger,
    private readonly collapseSeconds: number,
    /** The VAPID public key browsers subscribe with. */
    readonly publicKey: string,
    readonly dispatcher: PushDispatcher,
  ) {}

  /** Load (or make) the VAPID keys and start this process's dispatcher. */
  static async start(db: Queryable, config: PushConfig, logger: Logger): Promise<PushNotifications> {
    const keys = await loadVapidKeys(db, config);
    const log = logger.child({ part: "push" });
    if (config.PUSH_ALLOW_INSECURE_ENDPOINTS)
      log.warn("PUSH_ALLOW_INSECURE_ENDPOINTS: push endpoints may be http or loopback (tests only)");
    const dispatcher = new PushDispatcher(
      db,
      { keys, subject: config.VAPID_SUBJECT, allowInsecureEndpoints: config.PUSH_ALLOW_INSECURE_ENDPOINTS },
      log,
      config.PUSH_DISPATCH_INTERVAL_MS,
    );
    dispatcher.start();
    return new PushNotifications(db, log, config.PUSH_COLLAPSE_SECONDS, keys.publicKey, dispatcher);
  }

  /**
   * Messages were accepted in a room (WebSocket or REST): note them for members who are away,
   * with whatever else the room accepts within FAN_OUT_MS (notifications collapse over seconds
   * anyway, so nobody waits for this).
   */
  onMessagesAccepted(roomId: string, accepted: AcceptedMessage[]): void {
    const pending = this.accepted.get(roomId);
    if (pending) pending.push(...accepted);
    else this.accepted.set(roomId, [...accepted]);
    this.fanOut ??= setTimeout(() => this.fanOutNow(), FAN_OUT_MS);
  }

  private fanOutNow(): void {
    if (this.fanOut) clearTimeout(this.fanOut);
    this.fanOut = null;
    if (this.accepted.size === 0) return;
    // Every room that accepted messages meanwhile, in one recipients query.
    this.track(addRoomMessages(this.db, new Map(this.accepted), this.collapseSeconds), "room messages");
    this.accepted.clear();
  }

  /** `requesterId` asked `requesteeId` to be friends. */
  onFriendRequest(requesteeId: string, requesterId: string): void {
    this.track(addFriendRequest(this.db, requesteeId, requesterId), "friend request");
  }

  /** Resolves once every notification noted so far is in the table and a dispatch pass ran after that (tests). */
  async settled(): Promise<void> {
    this.fanOutNow();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.dispatcher.runOnce();
  }

  /** Stop dispatching (at shutdown, before the database closes). */
  async stop(): Promise<void> {
    this.fanOutNow();
    await this.dispatcher.stop();
    await Promise.allSettled([...this.inFlight]);
  }

  private track(work: Promise<unknown>, what: string): void {
    const tracked = work.catch((err: unknown) => this.logger.warn({ err }, `push: could not note a ${what}`));
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }
}
