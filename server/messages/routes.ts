import type { FastifyInstance } from "fastify";
import { pageQuerySchema, uuidParam } from "../../shared/api/common.ts";
import { mediaPath } from "../../shared/api/media.ts";
import { messageCreateSchema, messageEditSchema, reactionCreateSchema } from "../../shared/api/messages.ts";
import { newId } from "../../shared/ids.ts";
import type { AppContext } from "../app-context.ts";
import { requireUser } from "../auth/require-user.ts";
import type { SessionUser } from "../auth/sessions.ts";
import { HttpError } from "../http/http-error.ts";
import { parse } from "../http/parse.ts";
import { attachmentsByUploadId } from "../media/attachment-check.ts";
import { AttachmentConflict, claimMedia, releaseMedia } from "../media/media-records.ts";
import { isBlockedBetween } from "../rooms/blocking.ts";
import { messageHolder } from "../rooms/segments.ts";
import { repairRoom } from "../sync/mirror-rebuild.ts";
import { admit } from "./admission.ts";
import { messageCursor, parseMessageCursor } from "./message-cursor.ts";
import { messageIdsUsedElsewhere } from "./message-ids.ts";
import { readMessagePage, readOneMessage } from "./message-page.ts";
import { toMessageResponses } from "./message-response.ts";
import { asHttpError } from "./room-doc-errors.ts";
import { messageSearchRoutes } from "./search.ts";

interface Membership {
  roomId: string;
  role: "admin" | "member";
  type: "direct" | "group";
  otherIds: string[];
  /** Whether its pages can be read from the relational mirror (false for rooms older than migration 0015, until rebuilt). */
  messagesMirrored: boolean;
  /** Where its new messages go (docs/architecture.md "Long-lived rooms"); 0 while the head takes them. */
  liveSegment: number;
}

/** /api/v1/chat/messages: the same room documents WebSocket clients edit, for clients without Yjs. */
export function messageRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db, rooms } = ctx;
  messageSearchRoutes(app, ctx);

  async function membership(me: SessionUser, roomId: string): Promise<Membership> {
    const { rows } = await db.query<{
      role: "admin" | "member";
      type: "direct" | "group";
      other_ids: string[];
      messages_mirrored: boolean;
      live_segment: number;
    }>(
      `SELECT p.role, r.type, r.messages_mirrored, r.live_segment,
              ARRAY(SELECT o.user_id::text FROM chat_participants o WHERE o.room_id = r.id AND o.user_id <> $2 AND o.left_at IS NULL) AS other_ids
         FROM chat_rooms r JOIN chat_participants p ON p.room_id = r.id AND p.user_id = $2 AND p.left_at IS NULL
        WHERE r.id = $1`,
      [roomId, me.id],
    );
    const row = rows[0];
    if (!row) throw new HttpError("not_a_member", "You are not a member of this room.");
    return {
      roomId,
      role: row.role,
      type: row.type,
      otherIds: row.other_ids,
      messagesMirrored: row.messages_mirrored,
      liveSegment: row.live_segment,
    };
  }

  /** The room of a message, from the message-id index, and my membership in it. */
  async function membershipForMessage(me: SessionUser, messageId: string): Promise<Membership> {
    const { rows } = await db.query<{ room_id: string }>("SELECT room_id FROM chat_message_index WHERE message_id = $1", [messageId]);
    const row = rows[0];
    if (!row) throw new HttpError("message_not_found", "No such message.");
    return membership(me, row.room_id);
  }

  /** A direct room where one of the pair blocked the other takes no writes. */
  async function isReadOnly(me: SessionUser, m: Membership): Promise<boolean> {
    const other = m.otherIds[0];
    return m.type === "direct" && other !== undefined && (await isBlockedBetween(db, me.id, other));
  }

  async function assertMayWrite(me: SessionUser, m: Membership): Promise<void> {
    if (await isReadOnly(me, m)) throw new HttpError("blocked", "This conversation is read-only.");
  }

  const author = (me: SessionUser) => ({
    origin: "rest" as const,
    userId: me.id,
    connectionId: null,
  });
  /** The text to store under the room's content filter (masked, or refused with 422). */
  async function filtered(roomId: string, content: string | null | undefined): Promise<string | null> {
    if (content === null || content === undefined) return null;
    const verdict = await ctx.contentFilter.judge(roomId, content);
    if (!verdict.ok) throw new HttpError(verdict.code, verdict.message);
    return verdict.text;
  }

  /**
   * A room stored before pages were mirrored (migration 0015) is mirrored from its document once,
   * under the document's lock, the first time a page of it is read; text an older release let in
   * is made storable on the way, and live copies resync to it.
   */
  async function rebuildMirror(roomId: string): Promise<void> {
    const { rewritten } = await repairRoom(db, roomId);
    if (rewritten.length > 0) await ctx.bus.publish({ type: "documents_rewritten", documentNames: rewritten });
    ctx.logger.info({ room_id: roomId }, "mirrored the pages of a room stored before migration 0015");
  }

  const messageIdParam = (params: unknown) => parse(uuidParam, (params as { message_id?: string }).message_id, "message_id");

  /** The message as pages show it: the mirror is written with the change, so it is current. */
  async function respondWith(roomId: string, messageId: string) {
    const found = await readOneMessage(db, roomId, messageId);
    if (!found) throw new HttpError("message_not_found", "No such message.");
    const [response] = await toMessageResponses(db, roomId, [found]);
    return response;
  }

  app.get("/api/v1/chat/messages/:room_id", async (request) => {
    const me = await requireUser(db, request);
    const roomId = parse(uuidParam, (request.params as { room_id?: string }).room_id, "room_id");
    const query = parse(pageQuerySchema, request.query, "query");
    const before = query.before === undefined ? undefined : parseMessageCursor(query.before);
    const m = await membership(me, roomId);
    if (!m.messagesMirrored) await rebuildMirror(roomId);
    const items = await readMessagePage(db, roomId, { before, limit: query.limit + 1 });
    const more = items.length > query.limit;
    const page = more ? items.slice(1) : items;
    const oldest = page[0]?.view;
    return {
      items: await toMessageResponses(db, roomId, page),
      next_cursor: more && oldest?.seq ? messageCursor({ seq: oldest.seq, id: oldest.id }) : null,
    };
  });

  app.post("/api/v1/chat/messages/:room_id", async (request, reply) => {
    const me = await requireUser(db, request);
    const roomId = parse(uuidParam, (request.params as { room_id?: string }).room_id, "room_id");
    const body = parse(messageCreateSchema, request.body);
    const m = await membership(me, roomId);
    const messageId = body.id ?? newId();
    const uploadIds = body.attachment_ids ?? [];
    const [readOnly, filter, messageIdTakenElsewhere, carried, countRate] = await Promise.all([
      isReadOnly(me, m),
      body.content == null ? null : ctx.contentFilter.judge(roomId, body.content),
      body.id ? messageIdsUsedElsewhere(db, roomId, [body.id]) : false,
      attachmentsByUploadId(db, roomId, me.id, messageId, uploadIds),
      ctx.messageRate.forSender(me.id, roomId),
    ]);
    // The same decision as the WebSocket gate's (server/messages/admission.ts).
    const admission = admit({
      readOnly,
      filtered: filter && !filter.ok ? filter : null,
      messageIdTakenElsewhere,
      attachmentProblem: "refused" in carried ? carried.refused : null,
      newMessages: 1,
      countRate: () => countRate(1),
    });
    if (admission.action === "refuse") {
      const retry = admission.retryAfterSeconds === undefined ? undefined : { "retry-after": String(admission.retryAfterSeconds) };
      throw new HttpError(admission.code, admission.message, retry);
    }
    // A segment after the head holds only its own messages: a reply there may name an earlier
    // one, which the room's index knows (the document checks replies in a room without segments).
    if (body.reply_to_id && m.liveSegment > 0 && !(await messageHolder(db, roomId, body.reply_to_id))) {
      throw new HttpError("reply_target_missing", "The message replied to is not in this room.");
    }
    if (admission.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, admission.delayMs));
    // A masking room stores the text masked.
    const content = filter?.ok ? filter.text : (body.content ?? null);
    // Claimed first, in its own statement: of two sends naming one upload, the second is refused
    // here, before it touches the room. A crash before the write leaves a claim with no message,
    // which cleanup removes after the grace period.
    await claimMedia(db, messageId, uploadIds).catch((error: unknown) => {
      if (error instanceof AttachmentConflict) throw new HttpError("attachment_invalid", "An upload belongs to another message.");
      throw error;
    });
    const { id, created } = await rooms
      .write(roomId, author(me), "send", {
        id: messageId,
        sender_id: me.id,
        type: body.message_type,
        content,
        media_urls: body.media_urls ?? ("attachments" in carried ? carried.attachments : []).map((a) => mediaPath(a.id)),
        attachments: "attachments" in carried ? carried.attachments : [],
        location: body.location ?? null,
        reply_to_id: body.reply_to_id ?? null,
        created_at: body.created_at,
      })
      .catch(async (error: unknown) => {
        await releaseMedia(db, messageId, uploadIds);
        return asHttpError(error);
      });
    reply.code(created ? 201 : 200);
    return respondWith(roomId, id);
  });

  app.put("/api/v1/chat/messages/:message_id", async (request) => {
    const me = await requireUser(db, request);
    const messageId = messageIdParam(request.params);
    const body = parse(messageEditSchema, request.body);
    const m = await membershipForMessage(me, messageId);
    await assertMayWrite(me, m);
    const content = (await filtered(m.roomId, body.content)) ?? body.content;
    await rooms.write(m.roomId, author(me), "edit", { message_id: messageId, actor_id: me.id, content }).catch(asHttpError);
    return respondWith(m.roomId, messageId);
  });

  app.delete("/api/v1/chat/messages/:message_id", async (request, reply) => {
    const me = await requireUser(db, request);
    const messageId = messageIdParam(request.params);
    const m = await membershipForMessage(me, messageId);
    const mayModerate = (m.type === "group" && m.role === "admin") || me.is_server_admin;
    await rooms
      .write(m.roomId, author(me), "delete", { message_id: messageId, actor_id: me.id, may_moderate: mayModerate })
      .catch(asHttpError);
    reply.code(204);
  });

  app.post("/api/v1/chat/messages/:message_id/read", async (request) => {
    const me = await requireUser(db, request);
    const messageId = messageIdParam(request.params);
    const m = await membershipForMessage(me, messageId);
    const moved = await rooms.write(m.roomId, author(me), "mark_read", { user_id: me.id, message_id: messageId }).catch(asHttpError);
    return { moved };
  });

  app.post("/api/v1/chat/messages/:message_id/reactions", async (request, reply) => {
    const me = await requireUser(db, request);
    const messageId = messageIdParam(request.params);
    const body = parse(reactionCreateSchema, request.body);
    const m = await membershipForMessage(me, messageId);
    await assertMayWrite(me, m);
    await rooms.write(m.roomId, author(me), "react", { message_id: messageId, user_id: me.id, emoji: body.emoji }).catch(asHttpError);
    reply.code(201);
    return respondWith(m.roomId, messageId);
  });

  app.delete("/api/v1/chat/messages/:message_id/reactions/:emoji", async (request) => {
    const me = await requireUser(db, request);
    const messageId = messageIdParam(request.params);
    const { emoji } = parse(reactionCreateSchema, { emoji: (request.params as { emoji?: string }).emoji }, "emoji");
    const m = await membershipForMessage(me, messageId);
    await rooms.write(m.roomId, author(me), "unreact", { message_id: messageId, user_id: me.id, emoji }).catch(asHttpError);
    return respondWith(m.roomId, messageId);
  });
}
