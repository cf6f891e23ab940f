import type * as Y from "yjs";
import { allMessages, compareDisplay } from "./listing.ts";
import { roomMaps, schemaVersionOf } from "./maps.ts";
import { type MessageView, type ReceiptView, receiptSchema } from "./schema.ts";

/** A whole room document as plain JSON. */
export interface RoomDocJSON {
  /** null while the document has not been stamped (a client before its first sync). */
  schemaVersion: number | null;
  /** In display order. */
  messages: MessageView[];
  /** user id → read marker, keys sorted. */
  receipts: Record<string, ReceiptView>;
}

/**
 * The room as plain JSON, for operators and tests. Deterministic: two replicas holding the same
 * state give deep-equal (and JSON.stringify-equal) results whatever order their updates came in.
 */
export function roomDocToJSON(doc: Y.Doc): RoomDocJSON {
  const receipts: Array<[string, ReceiptView]> = [];
  for (const [userId, value] of roomMaps(doc).receipts) {
    // Parsed, so a malformed marker is left out rather than breaking the view (or leaking extra keys).
    const parsed = receiptSchema.safeParse(value);
    if (parsed.success) receipts.push([userId, parsed.data]);
  }
  receipts.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { schemaVersion: schemaVersionOf(doc), messages: allMessages(doc), receipts: Object.fromEntries(receipts) };
}

/**
 * A room kept as a chain of documents (its head first, then its segments: docs/architecture.md
 * "Long-lived rooms") as one plain JSON room: every segment's messages in one display order, the
 * markers the head holds.
 */
export function roomChainToJSON(docs: Y.Doc[]): RoomDocJSON {
  const [head, ...segments] = docs;
  if (!head) return { schemaVersion: null, messages: [], receipts: {} };
  const json = roomDocToJSON(head);
  if (segments.length === 0) return json;
  return { ...json, messages: [...json.messages, ...segments.flatMap((doc) => allMessages(doc))].sort(compareDisplay) };
}
