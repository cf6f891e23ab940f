import { isDeepStrictEqual } from "node:util";
import type * as Y from "yjs";
import { allMessages, lastMessage, type MessageView, roomMaps } from "../../shared/room-doc/index.ts";
import { storableJson, toStorableText } from "../../shared/text/storable.ts";
import type { Database } from "../db/database.ts";
import { sqlDocumentStore } from "../documents/document-store.ts";
import { roomDocumentNames, segmentOfName } from "../rooms/segments.ts";
import { unstorableMessageIds } from "../sync/mirror-rebuild.ts";

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
  // The head and every segment (docs/architecture.md "Long-lived rooms"), in order.
  const names = await roomDocumentNames(db, roomId);
  const docs = await Promise.all(names.map((name) => sqlDocumentStore(db).loadAt(name)));
  const doc = docs[0] as Y.Doc;
  const mismatches: Mismatch[] = [];
  const report = (what: string, document: unknown, relational: unknown) => mismatches.push({ room_id: roomId, what, document, relational });

  const holder = new Map<string, number>();
  const messages = docs.flatMap((d, n) => {
    const segment = segmentOfName(names[n] as string);
    return allMessages(d).map((m) => {
      holder.set(m.id, segment);
      return m;
    });
  });
  for (const id of docs.flatMap((d) => unstorableMessageIds(d)))
    report(`message ${id} holds text the database cannot store (NUL or a lone surrogate)`, id, null);
  const { rows: indexed } = await db.query<{
    message_id: string;
    seq: string | number | null;
    sender_id: string;
    is_deleted: boolean;
    content: string | null;
    body: unknown;
    segment: number;
  }>("SELECT message_id, seq, sender_id, is_deleted, content, body, segment FROM chat_message_index WHERE room_id = $1", [roomId]);
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
    // What REST pages show (migration 0015): a room mirrored before it has none until repaired.
    const { seq: _seq, reactions: _reactions, ...stored } = m;
    const body = JSON.parse(storableJson(stored));
    if (row && !isDeepStrictEqual(row.body, body)) report(`page body differs for message ${m.id}`, body, row.body);
    if (row && row.segment !== holder.get(m.id)) report(`segment differs for message ${m.id}`, holder.get(m.id), row.segment);
    byId.delete(m.id);
  }
  for (const extra of byId.keys()) report(`index has a message the document lacks: ${extra}`, null, extra);
  const counted = messages.filter((m) => m.seq !== null).length;
  if (counted !== indexed.length) report("message count", counted, indexed.length);

  const reactions = (list: MessageView[]) =>
    list.flatMap((m) => Object.entries(m.reactions).flatMap(([emoji, users]) => users.map((u) => `${m.id}|${emoji}|${u}`))).sort();
  const { rows: reacted } = await db.query<{ message_id: string; emoji: string; user_id: string }>(
    "SELECT message_id, emoji, user_id FROM chat_message_reactions WHERE room_id = $1",
    [roomId],
  );
  const inDocument = reactions(messages.filter((m) => m.seq !== null));
  const inMirror = reacted.map((r) => `${r.message_id}|${r.emoji}|${r.user_id}`).sort();
  if (!isDeepStrictEqual(inDocument, inMirror)) report("reactions", inDocument, inMirror);

  const { rows: room } = await db.query<{ last_message: { id?: string; content?: string | null } | null; messages_mirrored: boolean }>(
    "SELECT last_message, messages_mirrored FROM chat_rooms WHERE id = $1",
    [roomId],
  );
  if (room[0] && !room[0].messages_mirrored) report("pages not mirrored yet (the first page read or --repair builds them)", true, false);
  // Later segments hold later numbers: the last one with a message has the room's last.
  const last = docs.reduce<ReturnType<typeof lastMessage>>((found, d) => lastMessage(d) ?? found, null);
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
  for (const d of docs) d.destroy();
  return mismatches;
}
