import type * as Y from "yjs";
import type { EventMessage } from "../../shared/api/events.ts";
import { getSequencedMessage, parseReactionKey } from "../../shared/room-doc/index.ts";
import type { JournalDraft } from "./journal.ts";

/** What a change touched that the journal reports (see server/sync/touched.ts). */
export interface TouchedForEvents {
  sequencedIds?: Set<string>;
  messageFields?: Map<string, Set<string>>;
  reactionKeys?: Set<string>;
  receiptUserIds: Set<string>;
}

const EDIT_FIELDS = ["content", "edited_at", "media_urls", "attachments", "location"];

/** A message as events carry it; sender_name and sender_avatar are joined when the row is written. */
function eventMessage(
  roomId: string,
  m: NonNullable<ReturnType<typeof getSequencedMessage>>,
): Omit<EventMessage, "sender_name" | "sender_avatar"> {
  return {
    id: m.id,
    room_id: roomId,
    seq: m.seq,
    sender_id: m.sender_id,
    message_type: m.type,
    content: m.deleted ? null : m.content,
    media_urls: m.deleted ? [] : m.media_urls,
    attachments: m.deleted ? [] : m.attachments,
    location: m.deleted ? null : m.location,
    reply_to_id: m.reply_to_id,
    created_at: m.created_at,
    edited_at: m.edited_at,
    is_deleted: m.deleted,
  };
}

/**
 * The journal rows of one change to a room document, read from the document right after it
 * was applied (O(change)). Created: the message got its sequence number now (the server
 * accepted it). Deleted: its `deleted` field changed and it is deleted. Updated: its text (or
 * media) changed. A reaction key that changed is added when present now, removed otherwise.
 * Only what Yjs reports as changed counts, so a replayed update writes nothing.
 */
export function roomEventDrafts(doc: Y.Doc, roomId: string, touched: TouchedForEvents, actorId: string | null): JournalDraft[] {
  const drafts: JournalDraft[] = [];
  const created = touched.sequencedIds ?? new Set<string>();
  for (const id of created) {
    const m = getSequencedMessage(doc, id);
    if (!m || m.seq === null) continue;
    drafts.push({ roomId, userId: null, actorId: m.sender_id, kind: "message.created", payload: eventMessage(roomId, m) });
  }
  for (const [id, fields] of touched.messageFields ?? []) {
    if (created.has(id)) continue;
    const m = getSequencedMessage(doc, id);
    // Not yet accepted: its created event, when it comes, carries the final state.
    if (!m || m.seq === null) continue;
    const kind =
      fields.has("deleted") && m.deleted
        ? "message.deleted"
        : EDIT_FIELDS.some((f) => fields.has(f)) && !m.deleted
          ? "message.updated"
          : null;
    if (kind) drafts.push({ roomId, userId: null, actorId: actorId ?? m.sender_id, kind, payload: eventMessage(roomId, m) });
  }
  const reactions = doc.getMap<string>("reactions");
  for (const key of touched.reactionKeys ?? []) {
    const parsed = parseReactionKey(key);
    if (!parsed) continue;
    drafts.push({
      roomId,
      userId: null,
      actorId: parsed.userId,
      kind: reactions.has(key) ? "reaction.added" : "reaction.removed",
      payload: { room_id: roomId, message_id: parsed.messageId, emoji: parsed.emoji, user_id: parsed.userId },
    });
  }
  const receipts = doc.getMap("receipts");
  for (const userId of touched.receiptUserIds) {
    const r = receipts.get(userId) as { seq?: unknown; read_at?: unknown; message_id?: unknown } | undefined;
    if (!r || typeof r.seq !== "number") continue;
    drafts.push({
      roomId,
      userId: null,
      actorId: userId,
      kind: "receipt.updated",
      payload: {
        room_id: roomId,
        user_id: userId,
        message_id: typeof r.message_id === "string" ? r.message_id : null,
        seq: r.seq,
        read_at: String(r.read_at),
      },
    });
  }
  return drafts;
}
