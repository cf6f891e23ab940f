import * as Y from "yjs";
import { deleteMessage, getMessage } from "../../shared/room-doc/index.ts";
import { writeUserView } from "../../shared/user-doc/index.ts";
import type { Database, Queryable } from "../db/database.ts";
import { loadUserView } from "../feed/user-view.ts";
import { roomEffects } from "../sync/room-effects.ts";
import { NotFound } from "./operations-errors.ts";
import { loadLocked } from "./stored-document.ts";

/**
 * Rewrite a stored document so that nothing deleted survives in storage: under its exclusive
 * lock, load it with garbage collection on, apply `mutate`, and replace its snapshots and its
 * whole update log with one snapshot of the result. Deleted content becomes Yjs GC records (its
 * clock range, no bytes), so replicas still converge to the deletion. The price: time travel
 * before this moment is gone for this document (it starts at the new snapshot).
 */
async function rewriteStored<T>(tx: Queryable, documentName: string, mutate: (doc: Y.Doc) => T): Promise<T> {
  const { doc, last } = await loadLocked(tx, documentName, { gc: true });
  const result = mutate(doc);
  const state = Y.encodeStateAsUpdate(doc);
  await tx.query("DELETE FROM document_updates WHERE document_name = $1 AND id <= $2", [documentName, last]);
  await tx.query("DELETE FROM document_snapshots WHERE document_name = $1", [documentName]);
  await tx.query("INSERT INTO document_snapshots (document_name, upto_update_id, state) VALUES ($1, $2, $3)", [documentName, last, state]);
  doc.destroy();
  return result;
}

/**
 * Erase a message for good: a Yjs deletion of its content (so every replica, online or offline,
 * converges to it), the room's stored document rewritten without the deleted bytes, the same for
 * the private documents of everyone who was in the room (their room lists showed the message as
 * the last one), the relational mirror updated (its searchable text emptied), and the tables
 * that held the text vacuumed so no dead row keeps it. Returns the documents rewritten; the
 * caller tells live processes to reload them.
 */
export async function eraseMessage(db: Database, roomId: string, messageId: string): Promise<string[]> {
  const roomDocument = `room:${roomId}`;
  const rewritten = await db.transaction(async (tx) => {
    const effects = await rewriteStored(tx, roomDocument, (doc) => {
      const message = getMessage(doc, messageId);
      if (!message) return null;
      if (!message.deleted) deleteMessage(doc, { message_id: messageId, actor_id: message.sender_id, may_moderate: true });
      // Read now, written below: the index row and, if it was the last message, the room's preview.
      return roomEffects(doc, roomId, { messageIds: new Set([messageId]), receiptUserIds: new Set() }, false) ?? (async () => {});
    });
    if (!effects) throw new NotFound(`Room ${roomId} has no message ${messageId}.`);
    await effects(tx);
    // Everyone who was ever in the room: their room lists may have shown the text.
    const { rows: people } = await tx.query<{ user_id: string }>("SELECT user_id::text FROM chat_participants WHERE room_id = $1", [
      roomId,
    ]);
    const names = [roomDocument];
    for (const { user_id } of people) {
      const view = await loadUserView(tx, user_id);
      await rewriteStored(tx, `user:${user_id}`, (doc) => writeUserView(doc, view));
      names.push(`user:${user_id}`);
    }
    return names;
  });
  // Dead row versions still hold the old bytes until the tables are rewritten.
  // One statement each: VACUUM cannot run inside the implicit transaction of a multi-statement query.
  for (const table of ["document_updates", "document_snapshots", "chat_rooms", "chat_message_index"])
    await db.query(`VACUUM FULL ${table}`);
  return rewritten;
}
