import type * as Y from "yjs";
import { RoomDocError } from "./errors.ts";
import { messageMap, requireMessage, roomMaps } from "./maps.ts";
import { readStored } from "./stored-message.ts";
import { assertIsoTime, assertUserId } from "./validate.ts";

/** A user's marker seq: 0 when they have none (or it is malformed). */
function markerSeq(doc: Y.Doc, userId: string): number {
  const n = roomMaps(doc).receipts.get(userId)?.seq;
  return typeof n === "number" ? n : 0;
}

/**
 * Move a user's read marker to a message: everything up to its sequence number is read. Forward
 * only: when the marker is already at or past it nothing changes and this returns false. The
 * message must be accepted (have a `seq`), else `message_not_accepted`.
 */
export function markRead(doc: Y.Doc, input: { user_id: string; message_id: string; read_at?: string }, origin?: unknown): boolean {
  requireMessage(doc, input.message_id);
  assertUserId(input.user_id, "user_id");
  const readAt = input.read_at ?? new Date().toISOString();
  assertIsoTime(readAt, "read_at");
  const { seq, receipts } = roomMaps(doc);
  const target = seq.get(input.message_id);
  if (target === undefined) throw new RoomDocError("message_not_accepted", "The message is not accepted by the server yet.");
  if (markerSeq(doc, input.user_id) >= target) return false;
  // A fresh plain object, not a nested map: the marker moves as one value, last writer wins.
  doc.transact(() => receipts.set(input.user_id, { message_id: input.message_id, seq: target, read_at: readAt }), origin);
  return true;
}

/**
 * Move a user's read marker, kept in the room's head, to an accepted message of any of its
 * segments, named with its sequence number (docs/architecture.md "Long-lived rooms"). Forward
 * only, as markRead.
 */
export function markReadAt(
  head: Y.Doc,
  input: { user_id: string; message_id: string; seq: number; read_at?: string },
  origin?: unknown,
): boolean {
  assertUserId(input.user_id, "user_id");
  const readAt = input.read_at ?? new Date().toISOString();
  assertIsoTime(readAt, "read_at");
  if (markerSeq(head, input.user_id) >= input.seq) return false;
  const { receipts } = roomMaps(head);
  head.transact(() => receipts.set(input.user_id, { message_id: input.message_id, seq: input.seq, read_at: readAt }), origin);
  return true;
}

/** How many accepted messages after the user's marker are from others, not deleted and not system. */
export function unreadCount(doc: Y.Doc, userId: string): number {
  const after = markerSeq(doc, userId);
  let count = 0;
  for (const [id, n] of roomMaps(doc).seq) {
    if (typeof n !== "number" || n <= after) continue;
    const map = messageMap(doc, id);
    if (!map) continue;
    const m = readStored(id, map);
    if (m.sender_id !== userId && !m.deleted && m.type !== "system") count++;
  }
  return count;
}

/** Who has read a message: users whose marker is at or past its seq, except its sender; by user id. */
export function readBy(doc: Y.Doc, messageId: string): Array<{ user_id: string; read_at: string }> {
  const { seq, receipts } = roomMaps(doc);
  const n = seq.get(messageId);
  if (typeof n !== "number") return [];
  const sender = messageMap(doc, messageId)?.get("sender_id");
  const readers: Array<{ user_id: string; read_at: string }> = [];
  for (const [userId, receipt] of receipts) {
    if (userId !== sender && typeof receipt?.seq === "number" && receipt.seq >= n) {
      readers.push({ user_id: userId, read_at: String(receipt.read_at) });
    }
  }
  return readers.sort((a, b) => (a.user_id < b.user_id ? -1 : a.user_id > b.user_id ? 1 : 0));
}
