import type * as Y from "yjs";
import { getSequencedMessage, labelWithoutText, lastMessage } from "../../shared/room-doc/index.ts";
import { storableJson, toStorableText } from "../../shared/text/storable.ts";
import type { Queryable } from "../db/database.ts";
import { appendEvents, type JournalDraft } from "../events/journal.ts";
import { roomEventDrafts } from "../events/room-events.ts";
import type { Touched } from "./touched.ts";

/**
 * What a caller knows was touched. The live path (RoomWriter) passes everything collectTouched
 * records and gets journal events too; repair and erase pass only ids and write no events.
 */
export type MirrorTouched = Pick<Touched, "messageIds" | "receiptUserIds"> & Partial<Touched>;

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

/** One row of the message-id index. */
interface IndexRow {
  id: string;
  seq: number | null;
  senderId: string;
  createdAt: string;
  isSystem: boolean;
  isDeleted: boolean;
  /** The searchable text: none for system lines and deleted (or erased) messages. */
  content: string | null;
}

/**
 * What a change to a room document means for its relational mirror, read from the document when
 * the change is applied (O(change)) and written with the change's log entry: the message-id index
 * (what unread counts and PUT/DELETE /messages/{id} read), the room's last message, and each
 * touched member's read marker. `newlySequenced` (messages were just accepted) moves the room's
 * `last_message_at` to now: rooms order by when the server accepted, not by client clocks.
 */
export interface RoomMirror {
  roomId: string;
  index: IndexRow[];
  last: ReturnType<typeof lastMessageChange> | null;
  newlySequenced: boolean;
  receipts: Array<{ userId: string; seq: number; readAt: string }>;
  /** The live events of the change (chat_events), written with the mirror in one statement per batch. */
  events: JournalDraft[];
}

/** The mirror of a change that touched `touched`, or undefined when it touched nothing mirrored. */
export function roomMirror(doc: Y.Doc, roomId: string, touched: MirrorTouched, newlySequenced: boolean): RoomMirror | undefined {
  const rows = [...touched.messageIds].flatMap((id) => {
    const m = getSequencedMessage(doc, id);
    return m ? [m] : [];
  });
  const receipts = [...touched.receiptUserIds].flatMap((userId) => {
    const r = doc.getMap("receipts").get(userId) as { seq?: unknown; read_at?: unknown } | undefined;
    return r && typeof r.seq === "number" ? [{ userId, seq: r.seq, readAt: isoOrNow(String(r.read_at)) }] : [];
  });
  const events = touched.messageFields ? roomEventDrafts(doc, roomId, touched, null) : [];
  if (rows.length === 0 && receipts.length === 0 && events.length === 0) return undefined;
  return {
    roomId,
    index: rows.map((m) => ({
      id: m.id,
      seq: m.seq,
      senderId: m.sender_id,
      createdAt: isoOrNow(m.created_at),
      isSystem: m.type === "system",
      isDeleted: m.deleted,
      content: m.type === "system" || m.deleted || m.content === null ? null : toStorableText(m.content),
    })),
    last: rows.length > 0 ? lastMessageChange(doc, rows, newlySequenced) : null,
    newlySequenced,
    receipts,
    events,
  };
}

/**
 * Write the mirrors of many changes (a batch of log entries, in the order they were applied) in
 * a handful of statements whatever their number: later changes of a message, a room's last
 * message or a member's marker supersede earlier ones. Every write is idempotent: the document is
 * the truth and replaying the mirror is harmless. Text goes through storableJson: a room stored
 * before NUL was refused must still mirror.
 */
export async function writeMirrors(tx: Queryable, mirrors: RoomMirror[]): Promise<void> {
  const index = new Map<string, { roomId: string; row: IndexRow }>();
  const rooms = new Map<string, { set: { value: LastMessage } | null; edits: MessageFacts[]; newlySequenced: boolean }>();
  const receipts = new Map<string, { roomId: string; userId: string; seq: number; readAt: string }>();
  const events: JournalDraft[] = [];
  for (const mirror of mirrors) {
    events.push(...mirror.events);
    for (const row of mirror.index) index.set(row.id, { roomId: mirror.roomId, row });
    const room = rooms.get(mirror.roomId) ?? { set: null, edits: [], newlySequenced: false };
    room.newlySequenced ||= mirror.newlySequenced;
    if (mirror.last && "set" in mirror.last) {
      room.set = { value: mirror.last.set };
      room.edits = [];
    } else if (mirror.last) {
      room.edits.push(...mirror.last.editOf);
    }
    rooms.set(mirror.roomId, room);
    for (const r of mirror.receipts) {
      const key = `${mirror.roomId}:${r.userId}`;
      const known = receipts.get(key);
      if (!known || known.seq < r.seq) receipts.set(key, { roomId: mirror.roomId, ...r });
    }
  }
  if (index.size > 0) {
    const params: unknown[] = [];
    const values = [...index.values()].map(({ roomId, row }) => {
      params.push(row.id, roomId, row.seq, row.senderId, row.createdAt, row.isSystem, row.isDeleted, row.content);
      const n = params.length;
      return `($${n - 7}::uuid, $${n - 6}::uuid, $${n - 5}::bigint, $${n - 4}::uuid, $${n - 3}::timestamptz, $${n - 2}::boolean, $${n - 1}::boolean, $${n}::text)`;
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
  for (const [roomId, room] of rooms) {
    if (room.set) {
      await tx.query(
        `UPDATE chat_rooms SET last_message = $2::jsonb,
           last_message_at = CASE WHEN $3 THEN now() ELSE last_message_at END
         WHERE id = $1`,
        [roomId, room.set.value ? storableJson(room.set.value) : null, room.newlySequenced],
      );
    }
    for (const m of room.edits) {
      await tx.query(`UPDATE chat_rooms SET last_message = $3::jsonb WHERE id = $1 AND last_message->>'id' = $2`, [
        roomId,
        m.id,
        storableJson(asLast(m)),
      ]);
    }
  }
  if (receipts.size > 0) {
    const all = [...receipts.values()];
    await tx.query(
      `UPDATE chat_participants p SET last_read_seq = r.seq, last_read_at = r.read_at
         FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::timestamptz[]) AS r(room_id, user_id, seq, read_at)
        WHERE p.room_id = r.room_id AND p.user_id = r.user_id AND p.last_read_seq < r.seq`,
      [all.map((r) => r.roomId), all.map((r) => r.userId), all.map((r) => r.seq), all.map((r) => r.readAt)],
    );
  }
  // Every event of the batch, in the order the changes were applied.
  await appendEvents(tx, events);
}

/** The mirror of one change as a function of a transaction, for callers outside the log (repair, erase). */
export function roomEffects(
  doc: Y.Doc,
  roomId: string,
  touched: MirrorTouched,
  newlySequenced: boolean,
): ((tx: Queryable) => Promise<void>) | undefined {
  const mirror = roomMirror(doc, roomId, touched, newlySequenced);
  return mirror ? (tx) => writeMirrors(tx, [mirror]) : undefined;
}
