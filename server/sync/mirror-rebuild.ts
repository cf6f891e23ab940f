import type * as Y from "yjs";
import { allMessages, lastMessage, roomMaps } from "../../shared/room-doc/index.ts";
import { firstUnstorableText, storableJson } from "../../shared/text/storable.ts";
import type { Database } from "../db/database.ts";
import { sqlDocumentStore } from "../documents/document-store.ts";
import { roomDocumentNames, segmentOfName } from "../rooms/segments.ts";
import { roomEffects } from "./room-effects.ts";

/**
 * Messages with a field holding text the database cannot store: an older release accepted NUL,
 * and such a message broke every later write of its room.
 */
export function unstorableMessageIds(doc: Y.Doc): string[] {
  const ids: string[] = [];
  for (const [id, map] of roomMaps(doc).messages) {
    if (typeof map === "object" && map !== null && firstUnstorableText(Object.fromEntries((map as Y.Map<unknown>).entries())) !== null) {
      ids.push(id);
    }
  }
  return ids;
}

/** Replace each unstorable string in the room's messages with its storable form (U+FFFD for what cannot be kept). */
function rewriteUnstorable(doc: Y.Doc, ids: string[]): void {
  doc.transact(() => {
    for (const id of ids) {
      const map = roomMaps(doc).messages.get(id) as Y.Map<unknown>;
      for (const [key, value] of map.entries()) {
        if (firstUnstorableText(value) !== null) map.set(key, JSON.parse(storableJson(value)));
      }
    }
  });
}

/**
 * Rebuild a room's relational mirror from its documents (its head and every segment), in one
 * transaction: index rows for every message (extra rows removed), reactions, the last message,
 * and every member's read marker. Text the database cannot store is first rewritten in the
 * documents themselves, as server changes appended to their logs; `rewritten` names those, whose
 * live copies every process must drop (documents_rewritten).
 */
export async function repairRoom(db: Database, roomId: string): Promise<{ rewritten: string[] }> {
  const names = await roomDocumentNames(db, roomId);
  const bad = new Map<string, string[]>();
  for (const name of names) {
    const stored = await sqlDocumentStore(db).loadAt(name);
    bad.set(name, unstorableMessageIds(stored));
    stored.destroy();
  }
  return db.transaction(async (tx) => {
    // Every document's lock first, as a commit takes its document's lock before the rows it writes.
    for (const name of [...names].sort()) await sqlDocumentStore(db).in(tx).lock(name);
    // The index is derived: drop the room's rows and write them again from the documents.
    await tx.query("DELETE FROM chat_message_index WHERE room_id = $1", [roomId]);
    await tx.query("DELETE FROM chat_message_reactions WHERE room_id = $1", [roomId]);
    // Markers only move forward in normal operation; a repair sets them to what the head says.
    await tx.query("UPDATE chat_participants SET last_read_seq = 0 WHERE room_id = $1", [roomId]);
    const rewritten: string[] = [];
    let last: ReturnType<typeof lastMessage> = null;
    for (const name of names) {
      const segment = segmentOfName(name);
      const { doc, changed } = await sqlDocumentStore(db)
        .in(tx)
        .appendChange(name, null, (d) => rewriteUnstorable(d, bad.get(name) ?? []));
      if (changed) rewritten.push(name);
      const touched = {
        messageIds: new Set(allMessages(doc).map((m) => m.id)),
        // Only the head holds markers.
        receiptUserIds: new Set(segment === 0 ? roomMaps(doc).receipts.keys() : []),
        reactionKeys: new Set(roomMaps(doc).reactions.keys()),
      };
      await roomEffects(doc, roomId, touched, false, segment)?.(tx);
      // Later segments hold later numbers: the last one with a message has the room's last.
      last = lastMessage(doc) ?? last;
      doc.destroy();
    }
    await tx.query("UPDATE chat_rooms SET last_message = $2::jsonb, messages_mirrored = true WHERE id = $1", [
      roomId,
      last ? storableJson(last) : null,
    ]);
    return { rewritten };
  });
}
