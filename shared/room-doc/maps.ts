import * as Y from "yjs";
import { RoomDocError } from "./errors.ts";
import { type ReceiptView, ROOM_DOC_SCHEMA_VERSION } from "./schema.ts";

/**
 * The top-level shared types of a room document, typed. Their names are the schema: the server
 * observes them by name, so renaming one is a schema change.
 */
export function roomMaps(doc: Y.Doc) {
  return {
    /** `schemaVersion` → number. */
    meta: doc.getMap<unknown>("meta"),
    /** message id → the message's nested map (see storedMessageSchema for its keys). */
    messages: doc.getMap<Y.Map<unknown>>("messages"),
    /** message id → the room's sequence number; written by the server only. */
    seq: doc.getMap<number>("seq"),
    /** `${messageId}|${emoji}|${userId}` → ISO time added. */
    reactions: doc.getMap<string>("reactions"),
    /** user id → that user's read marker. */
    receipts: doc.getMap<ReceiptView>("receipts"),
  };
}

/**
 * The nested map of a message, or undefined. Anything else a client may have put under the id
 * (until the server validates WebSocket updates) counts as no message, so reads never throw.
 */
export function messageMap(doc: Y.Doc, messageId: string): Y.Map<unknown> | undefined {
  const value: unknown = roomMaps(doc).messages.get(messageId);
  return value instanceof Y.Map ? (value as Y.Map<unknown>) : undefined;
}

/** Every message id with its nested map, skipping values that are not maps (see messageMap). */
export function* messageEntries(doc: Y.Doc): Generator<[string, Y.Map<unknown>]> {
  for (const [id, value] of roomMaps(doc).messages as Y.Map<unknown>) {
    if (value instanceof Y.Map) yield [id, value as Y.Map<unknown>];
  }
}

/** The nested map of a message, or a `message_not_found` refusal. */
export function requireMessage(doc: Y.Doc, messageId: string): Y.Map<unknown> {
  const map = messageMap(doc, messageId);
  if (!map) throw new RoomDocError("message_not_found", `No message ${messageId} in this room.`);
  return map;
}

/** Stamp a room document with its schema version; a no-op (no update) when already stamped. */
export function initRoomDoc(doc: Y.Doc, origin?: unknown): void {
  const { meta } = roomMaps(doc);
  if (meta.has("schemaVersion")) return;
  doc.transact(() => meta.set("schemaVersion", ROOM_DOC_SCHEMA_VERSION), origin);
}

/** The schema version the document is stamped with, or null before `initRoomDoc` reached it. */
export function schemaVersionOf(doc: Y.Doc): number | null {
  const version = roomMaps(doc).meta.get("schemaVersion");
  return typeof version === "number" ? version : null;
}
