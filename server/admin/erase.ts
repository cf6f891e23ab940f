import type * as Y from "yjs";
import { roomSegmentName } from "../../shared/document-names.ts";
import { deleteMessage, getMessage } from "../../shared/room-doc/index.ts";
import { writeUserView } from "../../shared/user-doc/index.ts";
import type { Database } from "../db/database.ts";
import { sqlDocumentStore } from "../documents/document-store.ts";
import { eraseMessageEvents } from "../events/journal.ts";
import { loadUserView } from "../feed/user-view.ts";
import { segmentHolding } from "../rooms/segments.ts";
import { roomEffects } from "../sync/room-effects.ts";
import { NotFound } from "./operations-errors.ts";

/**
 * Erase a message for good: a Yjs deletion of its content (so every replica, online or offline,
 * converges to it), the room's stored document rewritten without the deleted bytes, the same for
 * the private documents of everyone who was in the room (their room lists showed the message as
 * the last one), the relational mirror updated (its searchable text emptied), and the tables
 * that held the text vacuumed so no dead row keeps it. Returns the documents rewritten; the
 * caller tells live processes to reload them.
 */
export async function eraseMessage(db: Database, roomId: string, messageId: string): Promise<string[]> {
  // The segment that holds it (docs/architecture.md "Long-lived rooms"): the head for most rooms.
  const segment = await segmentHolding(db, roomId, messageId);
  const roomDocument = roomSegmentName(roomId, segment);
  const rewritten = await db.transaction(async (tx) => {
    // Rewritten, not appended to: nothing deleted survives in storage (DocumentStoreTx.rewrite).
    const rewriteStored = <T>(name: string, mutate: (doc: Y.Doc) => T) => sqlDocumentStore(db).in(tx).rewrite(name, mutate);
    const effects = await rewriteStored(roomDocument, (doc) => {
      const message = getMessage(doc, messageId);
      if (!message) return null;
      if (!message.deleted) deleteMessage(doc, { message_id: messageId, actor_id: message.sender_id, may_moderate: true });
      // Read now, written below: the index row and, if it was the last message, the room's preview;
      // named as a deletion, so event streams get message.deleted (without the text).
      const touched = {
        messageIds: new Set([messageId]),
        receiptUserIds: new Set<string>(),
        messageFields: new Map([[messageId, new Set(["deleted"])]]),
      };
      return roomEffects(doc, roomId, touched, false, segment) ?? (async () => {});
    });
    if (!effects) throw new NotFound(`Room ${roomId} has no message ${messageId}.`);
    // The live-event journal's copies of the text go first; the deletion is journaled after.
    await eraseMessageEvents(tx, messageId);
    await effects(tx);
    // Everyone who was ever in the room: their room lists may have shown the text.
    const { rows: people } = await tx.query<{ user_id: string }>("SELECT user_id::text FROM chat_participants WHERE room_id = $1", [
      roomId,
    ]);
    const names = [roomDocument];
    for (const { user_id } of people) {
      const view = await loadUserView(tx, user_id);
      await rewriteStored(`user:${user_id}`, (doc) => writeUserView(doc, view));
      names.push(`user:${user_id}`);
    }
    return names;
  });
  // Dead row versions still hold the old bytes until the tables are rewritten.
  // One statement each: VACUUM cannot run inside the implicit transaction of a multi-statement query.
  for (const table of ["document_updates", "document_snapshots", "chat_rooms", "chat_message_index", "chat_events"])
    await db.query(`VACUUM FULL ${table}`);
  return rewritten;
}
