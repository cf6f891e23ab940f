import type * as Y from "yjs";
import { getMessage, lastMessage } from "../../shared/room-doc/index.ts";
import type { Queryable } from "../db/database.ts";
import type { Touched } from "./touched.ts";

function isoOrNow(value: string): string {
  return Number.isNaN(Date.parse(value)) ? new Date().toISOString() : value;
}

/**
 * The relational writes that mirror a room document after a change: the message-id index (what
 * unread counts and PUT/DELETE /messages/{id} read), the room's last message, and each touched
 * member's read marker. Values are read from the document now; the returned function writes them
 * inside the log append's transaction. `newlySequenced` (messages were just accepted) moves the
 * room's `last_message_at` to now: rooms order by when the server accepted, not by client clocks. Every write is an idempotent upsert: the document is the
 * truth and replaying the effects is harmless.
 */
export function roomEffects(
  doc: Y.Doc,
  roomId: string,
  touched: Touched,
  newlySequenced: boolean,
): ((tx: Queryable) => Promise<void>) | undefined {
  const rows = [...touched.messageIds].flatMap((id) => {
    const m = getMessage(doc, id);
    return m ? [m] : [];
  });
  const receipts = [...touched.receiptUserIds].flatMap((userId) => {
    const r = doc.getMap("receipts").get(userId) as { seq?: unknown; read_at?: unknown } | undefined;
    return r && typeof r.seq === "number" ? [{ userId, seq: r.seq, readAt: isoOrNow(String(r.read_at)) }] : [];
  });
  if (rows.length === 0 && receipts.length === 0) return undefined;
  const last = rows.length > 0 ? lastMessage(doc) : undefined;

  return async (tx) => {
    if (rows.length > 0) {
      const params: unknown[] = [roomId];
      const values = rows.map((m) => {
        params.push(m.id, m.seq, m.sender_id, isoOrNow(m.created_at), m.type === "system", m.deleted);
        const n = params.length;
        return `($${n - 5}::uuid, $1::uuid, $${n - 4}::bigint, $${n - 3}::uuid, $${n - 2}::timestamptz, $${n - 1}::boolean, $${n}::boolean)`;
      });
      await tx.query(
        `INSERT INTO chat_message_index (message_id, room_id, seq, sender_id, created_at, is_system, is_deleted)
         VALUES ${values.join(", ")}
         ON CONFLICT (message_id) DO UPDATE SET seq = COALESCE(EXCLUDED.seq, chat_message_index.seq),
           is_deleted = EXCLUDED.is_deleted`,
        params,
      );
      await tx.query(
        `UPDATE chat_rooms SET last_message = $2::jsonb,
           last_message_at = CASE WHEN $3 THEN now() ELSE last_message_at END
         WHERE id = $1`,
        [roomId, last ? JSON.stringify(last) : null, newlySequenced],
      );
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
