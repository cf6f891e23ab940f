import type { MessagePosition, MessageView, StoredMessage } from "../../shared/room-doc/index.ts";
import type { Queryable } from "../db/database.ts";
import type { MessagesWithReceipts } from "./message-response.ts";

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * A page of a room's accepted messages from the relational mirror, oldest first: the last `limit`
 * before `position` (or the latest), with reactions and who read each, in the display order of
 * `listMessages` (seq, then id). Three index scans of the page's size, never the room's document
 * (migration 0015), so a page costs the same in a room of a hundred messages or a hundred thousand.
 */
export async function readMessagePage(
  db: Queryable,
  roomId: string,
  options: { before?: MessagePosition; limit: number },
): Promise<MessagesWithReceipts> {
  const { before, limit } = options;
  // `seq <= $2` bounds the index range (room_id, seq), so a page far back starts where it is
  // instead of filtering its way down from the newest; the id breaks a tie at the border.
  const { rows } = await db.query<{ seq: string | number; body: StoredMessage }>(
    before === undefined
      ? `SELECT seq, body FROM chat_message_index
          WHERE room_id = $1 AND seq IS NOT NULL AND body IS NOT NULL
          ORDER BY seq DESC, message_id DESC LIMIT $2`
      : `SELECT seq, body FROM chat_message_index
          WHERE room_id = $1 AND seq <= $3 AND (seq < $3 OR message_id < $4::uuid) AND body IS NOT NULL
          ORDER BY seq DESC, message_id DESC LIMIT $2`,
    // A cursor without an id ("<seq>") stops before every message of that number.
    before === undefined ? [roomId, limit] : [roomId, limit, before.seq, before.id || "00000000-0000-0000-0000-000000000000"],
  );
  return rows.length === 0 ? [] : withReactionsAndReaders(db, roomId, rows.reverse());
}

/** Mirror rows (oldest first) as reads show them: with their reactions and who read each. */
async function withReactionsAndReaders(
  db: Queryable,
  roomId: string,
  rows: Array<{ seq: string | number; body: StoredMessage }>,
): Promise<MessagesWithReceipts> {
  const page = rows.map((r) => ({ ...r.body, seq: Number(r.seq) }));
  const [reactions, readers] = await Promise.all([reactionsOf(db, page), readersFrom(db, roomId, page[0]?.seq ?? 0)]);
  return page.map((m) => ({
    // A deleted message shows no reactions (the mirror drops them too; this holds for any row).
    view: { ...m, reactions: m.deleted ? {} : (reactions.get(m.id) ?? {}) } satisfies MessageView,
    readBy: readers.filter((r) => r.seq >= m.seq && r.user_id !== m.sender_id).map(({ user_id, read_at }) => ({ user_id, read_at })),
  }));
}

/** One message of the room as a page shows it, from the mirror; null when the room has no such accepted message. */
export async function readOneMessage(db: Queryable, roomId: string, messageId: string): Promise<MessagesWithReceipts[number] | null> {
  const { rows } = await db.query<{ seq: string | number; body: StoredMessage }>(
    "SELECT seq, body FROM chat_message_index WHERE message_id = $1 AND room_id = $2 AND seq IS NOT NULL AND body IS NOT NULL",
    [messageId, roomId],
  );
  return rows[0] ? ((await withReactionsAndReaders(db, roomId, rows))[0] ?? null) : null;
}

/** The reactions of `page`, by message: emoji → user ids, both sorted as the document's reads sort them. */
async function reactionsOf(db: Queryable, page: Array<{ id: string }>): Promise<Map<string, Record<string, string[]>>> {
  const { rows } = await db.query<{ message_id: string; emoji: string; user_id: string }>(
    "SELECT message_id, emoji, user_id FROM chat_message_reactions WHERE message_id = ANY($1::uuid[])",
    [page.map((m) => m.id)],
  );
  const byMessage = new Map<string, Map<string, string[]>>();
  for (const r of rows) {
    const emojis = byMessage.get(r.message_id) ?? new Map<string, string[]>();
    emojis.set(r.emoji, [...(emojis.get(r.emoji) ?? []), r.user_id]);
    byMessage.set(r.message_id, emojis);
  }
  const sorted = new Map<string, Record<string, string[]>>();
  for (const [id, emojis] of byMessage) {
    sorted.set(id, Object.fromEntries([...emojis].sort(([a], [b]) => byCodeUnits(a, b)).map(([e, users]) => [e, users.sort(byCodeUnits)])));
  }
  return sorted;
}

/** Members (past ones too: their marker stays in the document) whose read marker reaches `fromSeq`, by user id. */
async function readersFrom(db: Queryable, roomId: string, fromSeq: number) {
  const { rows } = await db.query<{ user_id: string; last_read_seq: string | number; last_read_at: Date | string | null }>(
    `SELECT user_id, last_read_seq, last_read_at FROM chat_participants
      WHERE room_id = $1 AND last_read_seq >= $2 ORDER BY user_id`,
    [roomId, fromSeq],
  );
  return rows
    .map((r) => ({
      user_id: r.user_id,
      seq: Number(r.last_read_seq),
      read_at: r.last_read_at === null ? "" : new Date(r.last_read_at).toISOString(),
    }))
    .sort((a, b) => byCodeUnits(a.user_id, b.user_id));
}
