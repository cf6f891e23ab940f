import type { Connection, Document } from "@hocuspocus/server";
import * as Y from "yjs";
import { CLOSE_CODES } from "../../shared/errors.ts";
import { isSealed, type ReceiptView, roomMaps } from "../../shared/room-doc/index.ts";
import { type UpdateAuthor, type Verdict, validateRoomUpdate } from "../../shared/update-validation/index.ts";
import type { SessionUser } from "../auth/sessions.ts";
import type { RoomContentFilter } from "../content-filter/room-filter.ts";
import type { Database } from "../db/database.ts";
import { whenReachable } from "../db/unavailable.ts";
import type { Logger } from "../logger.ts";
import { refusedAttachments } from "../media/attachment-check.ts";
import { AttachmentConflict, claimMedia } from "../media/media-records.ts";
import { type AdmissionCode, admit } from "../messages/admission.ts";
import { MessageIdTaken, TakenMessageIds } from "../messages/message-ids.ts";
import type { Metrics } from "../metrics.ts";
import { isGroupAdmin } from "../rooms/membership.ts";
import { BindingConflict, claimBindings } from "./client-bindings.ts";
import { GapDeferral } from "./gap-deferral.ts";
import type { LoadedRoom, LoadedRooms } from "./loaded-room.ts";
import type { MessageRateLimiter } from "./message-rate.ts";
import { Refusal, refusedPayload } from "./refuse.ts";
import type { RoomWriter } from "./room-writer.ts";

/** Write `created` (messages as a client wrote them) to the room's live segment as `author`'s, each once. */
export type ReissueMessages = (
  roomId: string,
  author: { id: string; connectionId: string },
  created: Array<Record<string, unknown>>,
) => Promise<void>;

/**
 * Who sent an update to the gate and how to answer them: a connection to this process, or a
 * client of another process whose update was forwarded here, to the room's sequencer.
 */
export interface UpdateSender {
  readonly socketId: string;
  /** The transaction origin the update is applied under. */
  readonly origin: unknown;
  /** Still there (a closed connection's queued updates are not applied). */
  isOpen(): boolean;
  /** True while it has not sent too many updates in a row that continue changes the server lacks. */
  tolerateGap(): boolean;
  /** Leave `payload` unapplied and ask the sender for what the server lacks (see GapDeferral). */
  deferGap(payload: Uint8Array): void;
  /** Its update changed the room: it is in step again. */
  progressed(): void;
  /** Tell it its update is refused (the `refused` stateless message); the gate then throws a Refusal. */
  refused(payload: string): void;
}

/**
 * The gate every client update to a room passes before Hocuspocus applies, broadcasts or
 * acknowledges it: validate it against the server's document, then apply it with its sequence
 * numbers and queue it for the next commit (binding any new client ids to its author in the same
 * transaction). Hocuspocus's own apply that follows is then a no-op, and its acknowledgement
 * waits for the commit. A refusal sends the `refused` message and closes the room for that
 * connection only.
 */
export class UpdateGate {
  private readonly gaps = new GapDeferral();
  /** Ids a commit found another room has: a resend is refused before it is applied. */
  private readonly takenMessageIds = new TakenMessageIds();

  private readonly db: Database;
  private readonly writer: RoomWriter;
  private readonly rooms: LoadedRooms;
  private readonly rate: MessageRateLimiter;
  private readonly logger: Logger;
  private readonly skipValidation: boolean;
  private readonly contentFilter: RoomContentFilter;
  private readonly metrics: Metrics | undefined;
  /** Writes new messages sent into a sealed segment to the room's live one (set by the app). */
  reissue: ReissueMessages | null = null;

  constructor(deps: {
    db: Database;
    writer: RoomWriter;
    rooms: LoadedRooms;
    rate: MessageRateLimiter;
    logger: Logger;
    skipValidation: boolean;
    contentFilter: RoomContentFilter;
    metrics?: Metrics;
  }) {
    this.db = deps.db;
    this.writer = deps.writer;
    this.rooms = deps.rooms;
    this.rate = deps.rate;
    this.logger = deps.logger;
    this.skipValidation = deps.skipValidation;
    this.contentFilter = deps.contentFilter;
    this.metrics = deps.metrics;
  }

  /** Judge and apply an update from a connection to this process. */
  async accept(document: Document, connection: Connection, user: SessionUser, payload: Uint8Array): Promise<void> {
    const gaps = this.gaps;
    await this.acceptFrom(
      document,
      {
        socketId: connection.socketId,
        origin: { source: "connection", connection },
        isOpen: () => document.hasConnection(connection),
        tolerateGap: () => gaps.tolerate(connection),
        deferGap: (payload) => gaps.defer(document, connection, payload),
        progressed: () => gaps.progressed(connection),
        refused: (refusal) => connection.sendStateless(refusal),
      },
      user,
      payload,
    );
  }

  /**
   * Judge `payload` from `sender` against the room and apply it, queued for the next commit.
   * Resolves once it is applied (with the promise of its commit), or with null when it changed
   * nothing or was deferred; throws a Refusal when refused.
   */
  async acceptFrom(
    document: Document,
    sender: UpdateSender,
    user: SessionUser,
    payload: Uint8Array,
  ): Promise<{ stored: Promise<void>; claimedClientIds: number[] } | null> {
    const room = this.rooms.get(document.name, document);
    // A copy that was rewritten or dropped meanwhile: its queued updates are judged by nobody,
    // so the connection closes and its provider resyncs with the copy that replaced it.
    if (!room) throw new Error(`${document.name} is no longer loaded here`);
    const version = room.durability.version;
    const { verdict, author } = await this.judge(room, user, payload);
    if (!verdict.ok && verdict.missingDependencies && sender.tolerateGap()) {
      this.metrics?.updatesDeferred.inc();
      sender.deferGap(payload);
      return null;
    }
    if (!verdict.ok) this.refuse(document, sender, user, verdict);
    if (!verdict.changes) return null;
    sender.progressed();
    // Everything the admission decision needs is in memory, except the uploads an attachment
    // names, asked only then (held while the database is away, like the commit: closing the
    // connection would send its provider into growing reconnect pauses). Whether another room has
    // a new message's id is checked in the commit, so an update never waits on the database here.
    const attachmentProblem =
      verdict.attachments.length === 0
        ? null
        : await whenReachable(() => refusedAttachments(this.db, room.roomId, user.id, verdict.attachments));
    const messageIdTakenElsewhere = this.takenMessageIds.anyOf(verdict.newMessageIds);
    const { facts } = room;
    const filtered = this.contentFilter.judgeWrittenIn(facts.contentFilter, verdict.texts);
    const countRate = this.rate.forMember(user.id, room.roomId, {
      slowModeSeconds: facts.slowModeSeconds,
      exempt: facts.admins.has(user.id),
    });
    const admission = admit({
      readOnly: facts.readOnly,
      filtered,
      messageIdTakenElsewhere,
      attachmentProblem,
      newMessages: verdict.newMessages,
      countRate: () => countRate(verdict.newMessages),
    });
    if (admission.action === "refuse") this.refuse(document, sender, user, admission);
    // Holding this connection's next update back paces it (its messages are handled in order).
    if (admission.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, admission.delayMs));
    // The room may have moved on while the facts were looked up or the update was paced (a
    // moderator's delete, a block, a removal): judge the update again against what it is now.
    if (!sender.isOpen()) throw new Error("the connection closed while its update was being judged");
    if (room.durability.version !== version && !this.skipValidation) {
      const again = validateRoomUpdate(document, payload, author, room.bindings);
      if (!again.ok) this.refuse(document, sender, user, again);
    }
    if (room.facts.readOnly) this.refuse(document, sender, user, { code: "blocked", message: "This conversation is read-only." });
    if (verdict.newMessages > 0 && isSealed(document)) await this.redirectSealed(document, sender, user, room, verdict.createdMessages());
    const floor = verdict.receiptFloor;
    const { stored } = this.writer.applyClientUpdate(document, {
      origin: sender.origin,
      // Only what the server lacks is stored: an honest reconnect resends plenty it already has.
      update: Y.diffUpdate(payload, Y.encodeStateVector(document)),
      author: { origin: "connection", userId: user.id, connectionId: sender.socketId },
      effects: async (tx) => {
        await claimBindings(tx, document.name, verdict.claimedClientIds, user.id);
        for (const use of verdict.attachments) {
          await claimMedia(
            tx,
            use.messageId,
            use.attachments.map((a) => a.id),
          );
        }
      },
      // A stale tab may move its user's read marker back: the server puts the furthest back.
      afterApply: floor ? (doc) => restoreReceipt(doc, user.id, floor) : undefined,
      newMessageIds: verdict.newMessageIds,
      onStoreFailed: (error) => {
        if (!(error instanceof MessageIdTaken)) return;
        // Told before the room reloads (its sockets close), and refused at once if sent again.
        this.takenMessageIds.remember(error.ids);
        this.tellRefused(document, sender, user, {
          code: "message_id_taken",
          message: "Another room has a message with this id; make a new one.",
        });
      },
    });
    // Bound in memory now, as the update is: a failed append drops the document and these with it.
    room.remember(verdict.claimedClientIds, user.id);
    this.metrics?.updatesAccepted.inc();
    // Not awaited: the acknowledgement Hocuspocus sends next waits for the commit (Durability),
    // so this connection's following updates are judged and join the same commit meanwhile.
    stored.catch((error: unknown) => {
      const raced = error instanceof BindingConflict || error instanceof AttachmentConflict;
      this.logger.warn(
        { err: error, document: document.name, user: user.id, raced },
        "an accepted update could not be stored; the room reloads",
      );
    });
    return { stored, claimedClientIds: verdict.claimedClientIds };
  }

  /**
   * New messages written into a segment sealed since the client last heard (an offline client,
   * docs/architecture.md "Long-lived rooms"): judged like any and admitted, they are written to
   * the room's live segment with their ids, once, and the update is refused here, so the client
   * drops its stale copy of this segment; its other changes come again from that copy's resync.
   */
  private async redirectSealed(
    document: Document,
    sender: UpdateSender,
    user: SessionUser,
    room: LoadedRoom,
    created: Array<Record<string, unknown>>,
  ): Promise<never> {
    if (!this.reissue) throw new Error("no way to write to a room's live segment");
    await this.reissue(room.roomId, { id: user.id, connectionId: sender.socketId }, created);
    this.refuse(document, sender, user, {
      code: "segment_sealed",
      message: "This segment of the room is sealed: its new messages were written to the live segment.",
    });
  }

  /** The verdict on `payload`, and the author it was judged as (with moderation rights when they applied). */
  private async judge(room: LoadedRoom, user: SessionUser, payload: Uint8Array): Promise<{ verdict: Verdict; author: UpdateAuthor }> {
    const author: UpdateAuthor = { userId: user.id, mayModerate: user.is_server_admin };
    if (this.skipValidation) return { verdict: this.unjudged(), author };
    const verdict = validateRoomUpdate(room.document, payload, author, room.bindings);
    // Moderation is rare and its right must be current to the moment (a demotion counts at once):
    // the role is asked of the database only when it could change the verdict.
    if (
      !verdict.ok &&
      verdict.code === "not_permitted" &&
      !author.mayModerate &&
      (await whenReachable(() => isGroupAdmin(this.db, room.roomId, user.id)))
    ) {
      const moderator = { ...author, mayModerate: true };
      return { verdict: validateRoomUpdate(room.document, payload, moderator, room.bindings), author: moderator };
    }
    return { verdict, author };
  }

  /** The benchmarks' verdict with validation switched off. */
  private unjudged(): Verdict {
    return {
      ok: true,
      changes: true,
      claimedClientIds: [],
      receiptFloor: null,
      newMessages: 0,
      newMessageIds: [],
      texts: [],
      attachments: [],
      createdMessages: () => [],
    };
  }

  private refuse(document: Document, sender: UpdateSender, user: SessionUser, verdict: RefusalReason): never {
    this.tellRefused(document, sender, user, verdict);
    throw new Refusal(CLOSE_CODES.refused, verdict.code, verdict.message);
  }

  /** Log the refusal, count it, and send the sender the `refused` message. */
  private tellRefused(document: Document, sender: UpdateSender, user: SessionUser, verdict: RefusalReason): void {
    this.logger.warn(
      { document: document.name, user: user.id, connection: sender.socketId, code: verdict.code, reason: verdict.message },
      "refused an update",
    );
    this.metrics?.updatesRefused.inc({ code: verdict.code });
    sender.refused(refusedPayload(verdict.code, verdict.message));
  }
}

interface RefusalReason {
  code: Extract<Verdict, { ok: false }>["code"] | AdmissionCode | "segment_sealed";
  message: string;
}

/** Put back a read marker a stale tab moved backwards: a receipt only moves forward. */
function restoreReceipt(doc: Y.Doc, userId: string, floor: ReceiptView): void {
  const receipts = roomMaps(doc).receipts;
  const now = receipts.get(userId);
  if (!now || now.seq < floor.seq) receipts.set(userId, floor);
}
