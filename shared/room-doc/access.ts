import type * as Y from "yjs";
import { type ReceiptView, ROOM_DOC_SCHEMA_VERSION, type StoredMessage } from "./schema.ts";

/** The top-level shared types of a room document (their names are the schema). */
export function roomMaps(doc: Y.Doc) {
  return {
    meta: doc.getMap<unknown>("meta"),
    messages: doc.getMap<Y.Map<unknown>>("messages"),
    seq: doc.getMap<number>("seq"),
    reactions: doc.getMap<string>("reactions"),
    receipts: doc.getMap<ReceiptView>("receipts"),
  };
}

/** Stamp a new room document with its schema version (idempotent). */
export function initRoomDoc(doc: Y.Doc, origin?: unknown): void {
  const { meta } = roomMaps(doc);
  if (meta.get("schemaVersion") === undefined) doc.transact(() => meta.set("schemaVersion", ROOM_DOC_SCHEMA_VERSION), origin);
}

/** Read the stored fields of a message map, tolerating missing fields (an incomplete sync). */
export function readStored(id: string, map: Y.Map<unknown>): StoredMessage {
  const str = (key: string) => {
    const v = map.get(key);
    return typeof v === "string" ? v : null;
  };
  const media = map.get("media_urls");
  // A delete concurrent with an edit can leave the edit's text behind; a deleted message shows none.
  const deleted = map.get("deleted") === true;
  return {
    id,
    sender_id: str("sender_id") ?? "",
    type: (str("type") ?? "text") as StoredMessage["type"],
    content: deleted ? null : str("content"),
    media_urls: !deleted && Array.isArray(media) ? media.filter((u): u is string => typeof u === "string") : [],
    location: deleted ? null : ((map.get("location") as StoredMessage["location"]) ?? null),
    reply_to_id: str("reply_to_id"),
    created_at: str("created_at") ?? "",
    edited_at: str("edited_at"),
    deleted,
    system_event: (map.get("system_event") as StoredMessage["system_event"]) ?? null,
  };
}

/** The reactions key of one user's emoji on one message. */
export const reactionKey = (messageId: string, emoji: string, userId: string) => `${messageId}|${emoji}|${userId}`;

/** Split a reactions key; emoji may not contain "|" (refused on write), ids never do. */
export function parseReactionKey(key: string): { messageId: string; emoji: string; userId: string } | null {
  const parts = key.split("|");
  if (parts.length !== 3) return null;
  const [messageId, emoji, userId] = parts as [string, string, string];
  return { messageId, emoji, userId };
}
