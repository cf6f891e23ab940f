import type { Connection, Document } from "@hocuspocus/server";
import * as Y from "yjs";
import { parseDocumentName } from "../../shared/document-names.ts";
import { CLOSE_CODES } from "../../shared/errors.ts";
import type { ReceiptView } from "../../shared/room-doc/index.ts";
import { type UpdateAuthor, type Verdict, validateRoomUpdate } from "../../shared/update-validation/index.ts";
import type { SessionUser } from "../auth/sessions.ts";
import type { RoomContentFilter } from "../content-filter/room-filter.ts";
import type { Database } from "../db/database.ts";
import type { Logger } from "../logger.ts";
import { refusedAttachments } from "../media/attachment-check.ts";
import { AttachmentConflict, claimMedia } from "../media/media-records.ts";
import { messageIdsUsedElsewhere } from "../messages/message-ids.ts";
import type { Metrics } from "../metrics.ts";
import { isGroupAdmin } from "../rooms/membership.ts";
import type { BlockedRooms } from "./blocked-rooms.ts";
import { BindingConflict, type ClientBindings } from "./client-bindings.ts";
import { GapDeferral } from "./gap-deferral.ts";
import type { MessageRateLimiter } from "./message-rate.ts";
import { Refusal, refusedPayload } from "./refuse.ts";
import type { UpdateLogWriter } from "./update-log-writer.ts";

/**
 * The gate every client update to a room passes before Hocuspocus applies, broadcasts or
 * acknowledges it: validate it against the server's document, then make what it adds durable
 * (binding any new client ids to its author in the same transaction). A refusal sends the
 * `refused` message and closes the room for that connection only.
 */
export class UpdateGate {
  /** Per document: the receipt a stale tab moved backwards, restored after the update applies. */
  readonly receiptFloors = new Map<string, Map<string, ReceiptView>>();
  private readonly gaps = new GapDeferral();

  private readonly db: Database;
  private readonly log: UpdateLogWriter;
  private readonly bindings: ClientBindings;
  private readonly rate: MessageRateLimiter;
  private readonly logger: Logger;
  private readonly skipValidation: boolean;
  private readonly blockedRooms: BlockedRooms;
  private readonly contentFilter: RoomContentFilter;
  private readonly metrics: Metrics | undefined;

  constructor(deps: {
    db: Database;
    log: UpdateLogWriter;
    bindings: ClientBindings;
    rate: MessageRateLimiter;
    logger: Logger;
    skipValidation: boolean;
    blockedRooms: BlockedRooms;
    contentFilter: RoomContentFilter;
    metrics?: Metrics;
  }) {
    this.db = deps.db;
    this.log = deps.log;
    this.bindings = deps.bindings;
    this.rate = deps.rate;
    this.logger = deps.logger;
    this.skipValidation = deps.skipValidation;
    this.blockedRooms = deps.blockedRooms;
    this.contentFilter = deps.contentFilter;
    this.metrics = deps.metrics;
  }

  async accept(document: Document, connection: Connection, user: SessionUser, payload: Uint8Array): Promise<void> {
    const name = parseDocumentName(document.name);
    if (name?.kind !== "room") return;
    const verdict = await this.judge(document, name.roomId, user, payload);
    if (!verdict.ok && verdict.missingDependencies && this.gaps.tolerate(connection)) {
      this.metrics?.updatesDeferred.inc();
      return this.gaps.defer(document, connection, payload);
    }
    if (!verdict.ok) this.refuse(document, connection, user, verdict);
    if (!verdict.changes) return;
    this.gaps.progressed(connection);
    if (await this.blockedRooms.isReadOnly(name.roomId)) {
      this.refuse(document, connection, user, { code: "blocked", message: "This conversation is read-only." });
    }
    const filtered = await this.contentFilter.judgeWritten(name.roomId, verdict.texts);
    if (filtered) this.refuse(document, connection, user, filtered);
    if (await messageIdsUsedElsewhere(this.db, name.roomId, verdict.newMessageIds)) {
      this.refuse(document, connection, user, { code: "not_permitted", message: "A message id of this update is used in another room." });
    }
    const badAttachment = await refusedAttachments(this.db, name.roomId, user.id, verdict.attachments);
    if (badAttachment) this.refuse(document, connection, user, { code: "attachment_invalid", message: badAttachment });
    const rate = await this.rate.decide(user.id, name.roomId, verdict.newMessages);
    if (rate.action === "refuse") {
      this.refuse(document, connection, user, { code: "rate_limited", message: `Too many messages: wait ${rate.retryAfterSeconds} s.` });
    }
    // Holding the acknowledgement back paces this connection: it sends its next update after it.
    if (rate.action === "delay") await new Promise((resolve) => setTimeout(resolve, rate.ms));
    if (verdict.receiptFloor) {
      const floors = this.receiptFloors.get(document.name) ?? new Map<string, ReceiptView>();
      floors.set(user.id, verdict.receiptFloor);
      this.receiptFloors.set(document.name, floors);
    }
    try {
      await this.log.append({
        documentName: document.name,
        // Only what the server lacks is stored: an honest reconnect resends plenty it already has.
        update: Y.diffUpdate(payload, Y.encodeStateVector(document)),
        origin: "connection",
        userId: user.id,
        connectionId: connection.socketId,
        effects: async (tx) => {
          await this.bindings.claim(tx, document.name, verdict.claimedClientIds, user.id);
          for (const use of verdict.attachments) {
            await claimMedia(
              tx,
              use.messageId,
              use.attachments.map((a) => a.id),
            );
          }
        },
      });
    } catch (error) {
      if (error instanceof AttachmentConflict) {
        this.refuse(document, connection, user, { code: "attachment_invalid", message: "An attachment belongs to another message." });
      }
      if (error instanceof BindingConflict) {
        this.refuse(document, connection, user, {
          code: "forged_author",
          message: "The update writes with another user's client id.",
        });
      }
      throw error;
    }
    this.bindings.remember(document.name, verdict.claimedClientIds, user.id);
    this.metrics?.updatesAccepted.inc();
  }

  private async judge(document: Document, roomId: string, user: SessionUser, payload: Uint8Array): Promise<Verdict> {
    if (this.skipValidation)
      return {
        ok: true,
        changes: true,
        claimedClientIds: [],
        receiptFloor: null,
        newMessages: 0,
        newMessageIds: [],
        texts: [],
        attachments: [],
      };
    const bindings = this.bindings.of(document.name);
    const author: UpdateAuthor = { userId: user.id, mayModerate: user.is_server_admin };
    const verdict = validateRoomUpdate(document, payload, author, bindings);
    // Moderation is rare: look the role up only when it could change the verdict.
    if (!verdict.ok && verdict.code === "not_permitted" && !author.mayModerate && (await isGroupAdmin(this.db, roomId, user.id))) {
      return validateRoomUpdate(document, payload, { ...author, mayModerate: true }, bindings);
    }
    return verdict;
  }

  private refuse(
    document: Document,
    connection: Connection,
    user: SessionUser,
    verdict: {
      code:
        | Extract<Verdict, { ok: false }>["code"]
        | "rate_limited"
        | "blocked"
        | "content_blocked"
        | "link_blocked"
        | "attachment_invalid";
      message: string;
    },
  ): never {
    this.logger.warn(
      { document: document.name, user: user.id, connection: connection.socketId, code: verdict.code, reason: verdict.message },
      "refused an update",
    );
    this.metrics?.updatesRefused.inc({ code: verdict.code });
    connection.sendStateless(refusedPayload(verdict.code, verdict.message));
    throw new Refusal(CLOSE_CODES.refused, verdict.code, verdict.message);
  }
}
