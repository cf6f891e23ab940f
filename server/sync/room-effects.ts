import type * as Y from "yjs";
import { getSequencedMessage, labelWithoutText, lastMessage } from "../../shared/room-doc/index.ts";
import { storableJson, toStorableText } from "../../shared/text/storable.ts";
import type { Queryable } from "../db/database.ts";
import type { Touched } from "./touched.ts";

function isoOrNow(value: string): string {
  return Number.isNaN(Date.parse(value)) ? new Date().toISOString() : value;
}

type LastMessage = ReturnType<typeof lastMessage>;
type MessageFacts = NonNullable<ReturnType<typeof getSequencedMessage>>;

const asLast = (m: MessageFacts): LastMessage => ({
  id: m.id,
  sender_id: m.sender_id,
  content: m.content ?? labelWithoutText(m),
  created_at: m.created_at,
});

/**
 * How the room's `last_message` changes, worked out from what was touched only (O(change)): a
 * newly sequenced message is the newest there is; an edit of the current last message changes its
 * text; only deleting a message may need a scan for the one before it.
 */
function lastMessageChange(
  doc: Y.Doc,
  touched: MessageFacts[],
  newlySequenced: boolean,
): { set: LastMessage } | { editOf: MessageFacts[] } {
  if (touched.some((m) => m.deleted)) return { set: lastMessage(doc) };
  const newest = touched.reduce<MessageFacts | null>((best, m) => (m.seq !== null && (!best || (best.seq ?? 0) < m.seq) ? m : best), null);
  if (newlySequenced && newest) return { set: asLast(newest) };
  return { editOf: touched.filter((m) => m.edited_at !== null) };
}

/**
 * The relational writes that mirror a room document after a change: the message-id index (what
 * unread counts, PUT/DELETE /messages/{id} and message search read, with each message's text),
 * the room's last message, and each touched member's read marker. Values are read from the document now; the returned function writes them
 * inside the log append's transaction. `newlySequenced` (messages were just accepted) moves the
 * room's `last_message_at` to now: rooms order by when the server accepted, not by client clocks.
 * Every write is idempotent: the document is the truth and replaying the effects is harmless.
 * Text goes through storableJson: a room stored before NUL was refused must still mirror.
 */
export function roomEffects(
  doc: Y.Doc,
  roomId: string,
  touched: Touched,
  newlySequenced: boolean,
): ((tx: Queryable) => Promise<void>) | undefined {
  const rows = [...touched.messageIds].flatMap((id) => {
    const m = getSequencedMessage(doc, id);
    return m ? [m] : [];
  });
  const receipts = [...touched.receiptUserIds].flatMap((userId) => {
    const r = doc.getMap("receipts").get(userId) as { seq?: unknown; read_at?: unknown } | undefined;
    return r && typeof r.seq === "number" ? [{ userId, seq: r.seq, readAt: isoOrNow(String(r.read_at)) }] : [];
  });
  if (rows.length === 0 && receipts.length === 0) return undefined;
  const last = rows.length > 0 ? lastMessageChange(doc, rows, newlySequenced) : null;

  return async (tx) => {
    if (rows.length > 0) {
      const params: unknown[] = [roomId];
      const values = rows.map((m) => {
        // The searchable text: none for system lines and deleted (or erased) messages.
        const content = m.type === "system" || m.deleted || m.content === null ? null : toStorableText(m.content);
        params.push(m.id, m.seq, m.sender_id, isoOrNow(m.created_at), m.type === "system", m.deleted, content);
        const n = params.length;
        return `($${n - 6}::uuid, $1::uuid, $${n - 5}::bigint, $${n - 4}::uuid, $${n - 3}::timestamptz, $${n - 2}::boolean, $${n - 1}::boolean, $${n}::text)`;
      });
      await tx.query(
        `INSERT INTO chat_message_index (message_id, room_id, seq, sender_id, created_at, is_system, is_deleted, content)
         VALUES ${values.join(", ")}
         ON CONFLICT (message_id) DO UPDATE SET seq = COALESCE(EXCLUDED.seq, chat_message_index.seq),
           is_deleted = EXCLUDED.is_deleted, content = EXCLUDED.content
         -- An id is one room's: another room's document never rewrites its row.
         WHERE chat_message_index.room_id = EXCLUDED.room_id`,
        params,
      );
    }
    if (last && "set" in last) {
      await tx.query(
        `UPDATE chat_rooms SET last_message = $2::jsonb,
           last_message_at = CASE WHEN $3 THEN now() ELSE last_message_at END
         WHERE id = $1`,
        [roomId, last.set ? storableJson(last.set) : null, newlySequenced],
      );
    } else if (last) {
      for (const m of last.editOf) {
        await tx.query(`UPDATE chat_rooms SET last_message = $3::jsonb WHERE id = $1 AND last_message->>'id' = $2`, [
          roomId,
          m.id,
          storableJson(asLast(m)),
        ]);
      }
    }
    for (const r of receipts) {
      await tx.query(
        `UPDATE chat_participants SET last_read_seq = $3, last_read_at = $4
          WHERE room_id = $1 AND user_id = $2 AND last_read_seq < $3`,
        [roomId, r.userId, r.seq, r.readAt],
      );
    }
  };
}
