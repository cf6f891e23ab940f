import type * as Y from "yjs";
import { allMessages, lastMessage, roomMaps } from "../../shared/room-doc/index.ts";
import { firstUnstorableText, storableJson, toStorableText } from "../../shared/text/storable.ts";
import type { Database } from "../db/database.ts";
import { sqlDocumentStore } from "../documents/document-store.ts";
import { roomEffects } from "../sync/room-effects.ts";

/** One way the relational side disagrees with a room's document. */
export interface Mismatch {
  room_id: string;
  what: string;
  document: unknown;
  relational: unknown;
}

/**
 * Decode a room's stored document and check that the relational mirror agrees with it: the
 * message-id index (every message, its seq, sender and deleted flag, nothing extra), the room's
 * last message, and each member's read marker (from which unread counts are derived).
 */
export async function verifyRoom(db: Database, roomId: string): Promise<Mismatch[]> {
  const doc = await sqlDocumentStore(db).loadAt(`room:${roomId}`);
  const mismatches: Mismatch[] = [];
  const report = (what: string, document: unknown, relational: unknown) => mismatches.push({ room_id: roomId, what, document, relational });

  const messages = allMessages(doc);
  for (const id of unstorableMessageIds(doc))
    report(`message ${id} holds text the database cannot store (NUL or a lone surrogate)`, id, null);
  const { rows: indexed } = await db.query<{
    message_id: string;
    seq: string | number | null;
    sender_id: string;
    is_deleted: boolean;
    content: string | null;
  }>("SELECT message_id, seq, sender_id, is_deleted, content FROM chat_message_index WHERE room_id = $1", [roomId]);
  const byId = new Map(indexed.map((r) => [r.message_id, r]));
  for (const m of messages) {
    if (m.seq === null) continue;
    const row = byId.get(m.id);
    if (!row) report(`index lacks message ${m.id}`, { seq: m.seq }, null);
    else if (Number(row.seq) !== m.seq || row.is_deleted !== m.deleted || row.sender_id !== m.sender_id) {
      report(
        `index differs for message ${m.id}`,
        { seq: m.seq, deleted: m.deleted, sender: m.sender_id },
        {
          seq: Number(row.seq),
          deleted: row.is_deleted,
          sender: row.sender_id,
        },
      );
    }
    // The searchable text (migration 0011): a room mirrored before it has none until repaired.
    const text = m.type === "system" || m.deleted || m.content === null ? null : toStorableText(m.content);
    if (row && row.content !== text) report(`searchable text differs for message ${m.id}`, text, row.content);
    byId.delete(m.id);
  }
  for (const extra of byId.keys()) report(`index has a message the document lacks: ${extra}`, null, extra);
  const counted = messages.filter((m) => m.seq !== null).length;
  if (counted !== indexed.length) report("message count", counted, indexed.length);

  const { rows: room } = await db.query<{ last_message: { id?: string; content?: string | null } | null }>(
    "SELECT last_message FROM chat_rooms WHERE id = $1",
    [roomId],
  );
  const last = lastMessage(doc);
  const stored = room[0]?.last_message ?? null;
  // The mirror holds text as the database can (see shared/text/storable.ts).
  const lastContent = last?.content == null ? null : toStorableText(last.content);
  if ((last?.id ?? null) !== (stored?.id ?? null) || lastContent !== (stored?.content ?? null)) {
    report(
      "last message",
      last ? { id: last.id, content: last.content } : null,
      stored ? { id: stored.id, content: stored.content } : null,
    );
  }

  const { rows: members } = await db.query<{ user_id: string; last_read_seq: string | number }>(
    "SELECT user_id, last_read_seq FROM chat_participants WHERE room_id = $1",
    [roomId],
  );
  const receipts = roomMaps(doc).receipts;
  for (const member of members) {
    const seq = (receipts.get(member.user_id) as { seq?: number } | undefined)?.seq ?? 0;
    if (Number(member.last_read_seq) !== seq) report(`read marker of ${member.user_id}`, seq, Number(member.last_read_seq));
  }
  doc.destroy();
  return mismatches;
}

/**
 * Messages with a field holding text the database cannot store: an older release accepted NUL,
 * and such a message broke every later write of its room.
 */
function unstorableMessageIds(doc: Y.Doc): string[] {
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
 * Rebuild a room's relational mirror from its document, in one transaction: index rows for
 * every message (extra rows removed), the last message, and every member's read marker. Text the
 * database cannot store is first rewritten in the document itself, as a server change appended to
 * its log; then `rewritten` is true and live processes must drop their copy (documents_rewritten).
 */
export async function repairRoom(db: Database, roomId: string): Promise<{ rewritten: boolean }> {
  const stored = await sqlDocumentStore(db).loadAt(`room:${roomId}`);
  const bad = unstorableMessageIds(stored);
  stored.destroy();
  return db.transaction(async (tx) => {
    const { doc, changed } = await sqlDocumentStore(db)
      .in(tx)
      .appendChange(`room:${roomId}`, null, (d) => rewriteUnstorable(d, bad));
    const ids = new Set(allMessages(doc).map((m) => m.id));
    const receiptUsers = new Set([...roomMaps(doc).receipts.keys()]);
    const effects = roomEffects(doc, roomId, { messageIds: ids, receiptUserIds: receiptUsers }, false);
    const last = lastMessage(doc);
    // The index is derived: drop the room's rows and write them again from the document.
    await tx.query("DELETE FROM chat_message_index WHERE room_id = $1", [roomId]);
    // Markers only move forward in normal operation; a repair sets them to what the document says.
    await tx.query("UPDATE chat_participants SET last_read_seq = 0 WHERE room_id = $1", [roomId]);
    await effects?.(tx);
    await tx.query("UPDATE chat_rooms SET last_message = $2::jsonb WHERE id = $1", [roomId, last ? storableJson(last) : null]);
    doc.destroy();
    return { rewritten: changed };
  });
}
