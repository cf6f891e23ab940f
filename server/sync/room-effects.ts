import type * as Y from "yjs";
import { isUuid } from "../../shared/ids.ts";
import { getSequencedMessage, labelWithoutText, lastMessage, parseReactionKey } from "../../shared/room-doc/index.ts";
import { storableJson, toStorableText } from "../../shared/text/storable.ts";
import type { Queryable } from "../db/database.ts";
import { StatementParams, withParts } from "../db/statement-params.ts";
import { appendEventsSql, type JournalDraft, journalRows } from "../events/journal.ts";
import { roomEventDrafts } from "../events/room-events.ts";
import { type MessageIdClaim, throwIfReused } from "../messages/message-ids.ts";
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
): { set: LastMessage } | { editOf: MessageFacts[] } | { deleted: { ids: string[]; next: LastMessage } } {
  const deleted = touched.filter((m) => m.deleted);
  // A deletion changes the room's last message only if it deleted it; the one before it is in the
  // same document, which is the room's newest segment with messages (numbers only grow).
  if (deleted.length > 0 && !newlySequenced) return { deleted: { ids: deleted.map((m) => m.id), next: lastMessage(doc) } };
  if (deleted.length > 0) return { set: lastMessage(doc) };
  const newest = touched.reduce<MessageFacts | null>((best, m) => (m.seq !== null && (!best || (best.seq ?? 0) < m.seq) ? m : best), null);
  if (newlySequenced && newest) return { set: asLast(newest) };
  return { editOf: touched.filter((m) => m.edited_at !== null) };
}

/** A live segment the change sealed (docs/architecture.md "Long-lived rooms"). */
export interface SegmentSeal {
  segment: number;
  nextFirstSeq: number;
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
  /** The stored fields as reads show them (JSON for `body`), so a REST page needs no document. */
  body: string;
}

/** One reaction key that changed: present now (with the time added) or removed. */
interface ReactionRow {
  messageId: string;
  emoji: string;
  userId: string;
  /** The time the document holds for it; null when the key is gone. */
  reactedAt: string | null;
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
  /** The room's document the change was made in (0: the head). */
  segment: number;
  /** Set when the change sealed its segment: the room's next segment starts at `nextFirstSeq`. */
  seal?: SegmentSeal;
  index: IndexRow[];
  last: ReturnType<typeof lastMessageChange> | null;
  newlySequenced: boolean;
  receipts: Array<{ userId: string; seq: number; readAt: string }>;
  reactions: ReactionRow[];
  /** The live events of the change (chat_events), written with the mirror in one statement per batch. */
  events: JournalDraft[];
}

/** The mirror of a change that touched `touched`, or undefined when it touched nothing mirrored. */
export function roomMirror(
  doc: Y.Doc,
  roomId: string,
  touched: MirrorTouched,
  newlySequenced: boolean,
  segment = 0,
  seal?: SegmentSeal,
): RoomMirror | undefined {
  const rows = [...touched.messageIds].flatMap((id) => {
    const m = getSequencedMessage(doc, id);
    return m ? [m] : [];
  });
  // Only the head holds markers (a segment's validator refuses them).
  const receipts = [...(segment === 0 ? touched.receiptUserIds : [])].flatMap((userId) => {
    const r = doc.getMap("receipts").get(userId) as { seq?: unknown; read_at?: unknown } | undefined;
    return r && typeof r.seq === "number" ? [{ userId, seq: r.seq, readAt: isoOrNow(String(r.read_at)) }] : [];
  });
  const reactions = reactionRows(doc, touched.reactionKeys);
  const events = touched.messageFields ? roomEventDrafts(doc, roomId, touched, null) : [];
  if (rows.length === 0 && receipts.length === 0 && reactions.length === 0 && events.length === 0 && !seal) return undefined;
  return {
    roomId,
    segment,
    seal,
    index: rows.map((m) => ({
      id: m.id,
      seq: m.seq,
      senderId: m.sender_id,
      createdAt: isoOrNow(m.created_at),
      isSystem: m.type === "system",
      isDeleted: m.deleted,
      content: m.type === "system" || m.deleted || m.content === null ? null : toStorableText(m.content),
      body: storableJson(withoutSeq(m)),
    })),
    last: rows.length > 0 ? lastMessageChange(doc, rows, newlySequenced) : null,
    newlySequenced,
    receipts,
    reactions,
    events,
  };
}

function withoutSeq({ seq: _seq, ...stored }: MessageFacts) {
  return stored;
}

/** The rows of the reaction keys that changed (malformed keys, which no write path makes, are skipped). */
function reactionRows(doc: Y.Doc, keys: Set<string> | undefined): ReactionRow[] {
  if (!keys || keys.size === 0) return [];
  const reactions = doc.getMap<unknown>("reactions");
  return [...keys].flatMap((key) => {
    const parsed = parseReactionKey(key);
    if (!parsed || !isUuid(parsed.messageId) || !isUuid(parsed.userId)) return [];
    const at = reactions.get(key);
    const emoji = toStorableText(parsed.emoji);
    return [{ ...parsed, emoji, reactedAt: reactions.has(key) ? toStorableText(String(at)) : null }];
  });
}

/**
 * Write the mirrors of many changes (a batch of log entries, in the order they were applied) in
 * one statement whatever their number (each part a data-modifying CTE on its own table): later
 * changes of a message, a room's last message or a member's marker supersede earlier ones. Every
 * write is idempotent: the document is the truth and replaying the mirror is harmless. Text goes
 * through storableJson: a room stored before NUL was refused must still mirror.
 *
 * `claims` are the new message ids the batch's client updates create: the same statement reads
 * which of them another room's index rows hold (or another document of the same room), and MessageIdTaken is thrown (the transaction is
 * rolled back) for the first claim that reuses one.
 */
export async function writeMirrors(tx: Queryable, mirrors: RoomMirror[], claims: MessageIdClaim[] = []): Promise<void> {
  const params = new StatementParams();
  const { parts, reusedIds } = mirrorStatement(mirrors, claims, params);
  if (parts.length === 0 && reusedIds === null) return;
  const { rows } = await tx.query<{ message_id: string }>(
    withParts(parts, reusedIds ?? "SELECT NULL::text AS message_id WHERE false"),
    params.values,
  );
  throwIfReused(
    claims,
    rows.map((r) => r.message_id),
  );
}

/**
 * The parts (CTEs) of one statement that write a batch's mirrors, with their values added to
 * `params`, and the select of the claimed ids another room already has (null when nothing is
 * claimed), so a caller can send them with its own parts in one round trip (UpdateLogWriter).
 */
export function mirrorStatement(
  mirrors: RoomMirror[],
  claims: MessageIdClaim[],
  params: StatementParams,
): { parts: string[]; reusedIds: string | null } {
  const index = new Map<string, { roomId: string; segment: number; row: IndexRow }>();
  const seals: Array<{ roomId: string; seal: SegmentSeal }> = [];
  const rooms = new Map<
    string,
    {
      set: { value: LastMessage } | null;
      edits: Map<string, MessageFacts>;
      /** Deleted message id → what the room's last message becomes if it was that one. */
      deleted: Map<string, LastMessage>;
      newlySequenced: boolean;
    }
  >();
  const receipts = new Map<string, { roomId: string; userId: string; seq: number; readAt: string }>();
  const events: JournalDraft[] = [];
  const reactions = new Map<string, { roomId: string; row: ReactionRow }>();
  for (const mirror of mirrors) {
    events.push(...mirror.events);
    for (const row of mirror.reactions) reactions.set(`${row.messageId}|${row.emoji}|${row.userId}`, { roomId: mirror.roomId, row });
    for (const row of mirror.index) index.set(row.id, { roomId: mirror.roomId, segment: mirror.segment, row });
    if (mirror.seal) seals.push({ roomId: mirror.roomId, seal: mirror.seal });
    const room = rooms.get(mirror.roomId) ?? { set: null, edits: new Map(), deleted: new Map(), newlySequenced: false };
    room.newlySequenced ||= mirror.newlySequenced;
    if (mirror.last && "set" in mirror.last) {
      room.set = { value: mirror.last.set };
      room.edits.clear();
      room.deleted.clear();
    } else if (mirror.last && "deleted" in mirror.last) {
      const { ids, next } = mirror.last.deleted;
      for (const id of ids) room.edits.delete(id);
      if (room.set) {
        if (room.set.value && ids.includes(room.set.value.id)) room.set.value = next;
      } else for (const id of ids) room.deleted.set(id, next);
    } else if (mirror.last) {
      for (const m of mirror.last.editOf) {
        // An edit after a new last message in the same batch changes it only if it is that message.
        if (room.set) {
          if (room.set.value?.id === m.id) room.set.value = asLast(m);
        } else room.edits.set(m.id, m);
      }
    }
    rooms.set(mirror.roomId, room);
    for (const r of mirror.receipts) {
      const key = `${mirror.roomId}:${r.userId}`;
      const known = receipts.get(key);
      if (!known || known.seq < r.seq) receipts.set(key, { roomId: mirror.roomId, ...r });
    }
  }
  const parts: string[] = [];
  if (index.size > 0) {
    // Columns as arrays: a burst of thousands of messages stays a handful of parameters
    // (PostgreSQL takes at most 65,535 in one statement).
    const all = [...index.values()];
    const column = params.columnsOf(all);
    parts.push(`indexed AS (
      INSERT INTO chat_message_index (message_id, room_id, seq, sender_id, created_at, is_system, is_deleted, content, body, segment)
      SELECT * FROM unnest(${column((i) => i.row.id, "uuid")}, ${column((i) => i.roomId, "uuid")}, ${column((i) => i.row.seq, "bigint")},
        ${column((i) => i.row.senderId, "uuid")}, ${column((i) => i.row.createdAt, "timestamptz")}, ${column((i) => i.row.isSystem, "boolean")},
        ${column((i) => i.row.isDeleted, "boolean")}, ${column((i) => i.row.content, "text")}, ${column((i) => i.row.body, "jsonb")},
        ${column((i) => i.segment, "int")})
      ON CONFLICT (message_id) DO UPDATE SET seq = COALESCE(EXCLUDED.seq, chat_message_index.seq),
        is_deleted = EXCLUDED.is_deleted, content = EXCLUDED.content, body = EXCLUDED.body
      -- An id is one room's: another room's document never rewrites its row.
      WHERE chat_message_index.room_id = EXCLUDED.room_id
      RETURNING 1)`);
  }
  // The next segment's start, kept for whoever loads it; the room's live segment moves on in the
  // same update of its row as its last message (one statement may change a row only once).
  const nextLive = new Map(seals.map(({ roomId, seal }) => [roomId, seal.segment + 1]));
  if (seals.length > 0) {
    const column = params.columnsOf(seals);
    parts.push(`segment_started AS (
      INSERT INTO chat_room_segments (room_id, segment, first_seq)
      SELECT * FROM unnest(${column((s) => s.roomId, "uuid")}, ${column((s) => s.seal.segment + 1, "int")}, ${column((s) => s.seal.nextFirstSeq, "bigint")})
      ON CONFLICT (room_id, segment) DO NOTHING
      RETURNING 1)`);
  }
  const deletedIds = [...index.values()].filter((i) => i.row.isDeleted).map((i) => i.row.id);
  if (deletedIds.length > 0) {
    // A deleted message shows no reactions, even one whose key survived a concurrent merge.
    parts.push(`unreacted AS (
      DELETE FROM chat_message_reactions WHERE message_id = ANY(${params.add(deletedIds, "uuid[]")}) RETURNING 1)`);
  }
  parts.push(...reactionParts([...reactions.values()], new Set(deletedIds), params));
  // A seal comes with the numbers that filled the segment, so its room always has a new last message.
  const set = [...rooms].flatMap(([roomId, room]) => (room.set ? [{ roomId, room, value: room.set.value }] : []));
  if (set.length > 0) {
    parts.push(`last_set AS (
      UPDATE chat_rooms r SET last_message = v.last::jsonb,
        last_message_at = CASE WHEN v.bump THEN now() ELSE r.last_message_at END,
        live_segment = GREATEST(r.live_segment, v.live)
      FROM unnest(${params.add(
        set.map((s) => nextLive.get(s.roomId) ?? 0),
        "int[]",
      )}, ${params.add(
        set.map((s) => s.roomId),
        "uuid[]",
      )}, ${params.add(
        set.map((s) => (s.value ? storableJson(s.value) : null)),
        "text[]",
      )}, ${params.add(
        set.map((s) => s.room.newlySequenced),
        "boolean[]",
      )}) AS v(live, id, last, bump)
      WHERE r.id = v.id
      RETURNING 1)`);
  }
  const deletions = [...rooms].flatMap(([roomId, room]) => [...room.deleted].map(([id, next]) => ({ roomId, id, next })));
  if (deletions.length > 0) {
    // Of one room's deleted messages at most one is its last message: one row matches (and its
    // edits were dropped above, so last_edited matches no row of it).
    parts.push(`last_deleted AS (
      UPDATE chat_rooms r SET last_message = v.next::jsonb
      FROM unnest(${params.add(
        deletions.map((d) => d.roomId),
        "uuid[]",
      )}, ${params.add(
        deletions.map((d) => d.id),
        "text[]",
      )}, ${params.add(
        deletions.map((d) => (d.next ? storableJson(d.next) : null)),
        "text[]",
      )}) AS v(id, message_id, next)
      WHERE r.id = v.id AND r.last_message->>'id' = v.message_id
      RETURNING 1)`);
  }
  const edits = [...rooms].flatMap(([roomId, room]) => [...room.edits.values()].map((m) => ({ roomId, m })));
  if (edits.length > 0) {
    // Of one room's edited messages at most one is its last message: one row matches.
    parts.push(`last_edited AS (
      UPDATE chat_rooms r SET last_message = v.last::jsonb
      FROM unnest(${params.add(
        edits.map((e) => e.roomId),
        "uuid[]",
      )}, ${params.add(
        edits.map((e) => e.m.id),
        "text[]",
      )}, ${params.add(
        edits.map((e) => storableJson(asLast(e.m))),
        "text[]",
      )}) AS v(id, message_id, last)
      WHERE r.id = v.id AND r.last_message->>'id' = v.message_id
      RETURNING 1)`);
  }
  if (receipts.size > 0) {
    const all = [...receipts.values()];
    parts.push(`receipts AS (
      UPDATE chat_participants p SET last_read_seq = r.seq, last_read_at = r.read_at
        FROM unnest(${params.add(
          all.map((r) => r.roomId),
          "uuid[]",
        )}, ${params.add(
          all.map((r) => r.userId),
          "uuid[]",
        )}, ${params.add(
          all.map((r) => r.seq),
          "bigint[]",
        )}, ${params.add(
          all.map((r) => r.readAt),
          "timestamptz[]",
        )}) AS r(room_id, user_id, seq, read_at)
       WHERE p.room_id = r.room_id AND p.user_id = r.user_id AND p.last_read_seq < r.seq
      RETURNING 1)`);
  }
  // Every event of the batch, in the order the changes were applied.
  if (events.length > 0) parts.push(`journaled AS (${appendEventsSql(params.add(journalRows(events), "jsonb"))} RETURNING 1)`);
  const claimed = claims.flatMap((c) => c.ids.map((id) => ({ id, roomId: c.roomId, segment: c.segment ?? 0 })));
  // Read in the statement's snapshot: this batch's own index rows are not seen, committed ones are.
  const reusedIds =
    claimed.length === 0
      ? null
      : `SELECT c.id::text AS message_id FROM unnest(${params.add(
          claimed.map((c) => c.id),
          "uuid[]",
        )}, ${params.add(
          claimed.map((c) => c.roomId),
          "uuid[]",
        )}, ${params.add(
          claimed.map((c) => c.segment),
          "int[]",
        )}) AS c(id, room_id, segment)
         -- Another room's message, or this room's in another of its documents (a segment).
         JOIN chat_message_index i ON i.message_id = c.id AND (i.room_id <> c.room_id OR i.segment <> c.segment)`;
  return { parts, reusedIds };
}

/** The CTEs that add and remove the reaction rows of a batch (the latest state of each key wins). */
function reactionParts(all: Array<{ roomId: string; row: ReactionRow }>, deletedIds: Set<string>, params: StatementParams): string[] {
  const added = all.filter((r) => r.row.reactedAt !== null && !deletedIds.has(r.row.messageId));
  const removed = all.filter((r) => r.row.reactedAt === null && !deletedIds.has(r.row.messageId));
  const parts: string[] = [];
  if (added.length > 0) {
    const column = params.columnsOf(added);
    parts.push(`reacted AS (
      INSERT INTO chat_message_reactions (room_id, message_id, emoji, user_id, reacted_at)
      SELECT * FROM unnest(${column((r) => r.roomId, "uuid")}, ${column((r) => r.row.messageId, "uuid")}, ${column((r) => r.row.emoji, "text")},
        ${column((r) => r.row.userId, "uuid")}, ${column((r) => r.row.reactedAt, "text")})
      ON CONFLICT (message_id, emoji, user_id) DO UPDATE SET reacted_at = EXCLUDED.reacted_at
      RETURNING 1)`);
  }
  if (removed.length > 0) {
    const column = params.columnsOf(removed);
    parts.push(`unreacted_keys AS (
      DELETE FROM chat_message_reactions r
       USING unnest(${column((r) => r.row.messageId, "uuid")}, ${column((r) => r.row.emoji, "text")}, ${column((r) => r.row.userId, "uuid")}) AS k(message_id, emoji, user_id)
       WHERE r.message_id = k.message_id AND r.emoji = k.emoji AND r.user_id = k.user_id
      RETURNING 1)`);
  }
  return parts;
}

/** The mirror of one change as a function of a transaction, for callers outside the log (repair, erase). */
export function roomEffects(
  doc: Y.Doc,
  roomId: string,
  touched: MirrorTouched,
  newlySequenced: boolean,
  segment = 0,
): ((tx: Queryable) => Promise<void>) | undefined {
  const mirror = roomMirror(doc, roomId, touched, newlySequenced, segment);
  return mirror ? (tx) => writeMirrors(tx, [mirror]) : undefined;
}
