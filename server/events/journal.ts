import { storableJson } from "../../shared/text/storable.ts";
import type { Queryable } from "../db/database.ts";

/**
 * The event journal (`chat_events`): every durable live event, written in the same transaction
 * as the change it describes, read by the event streams in journal order.
 *
 * Order and completeness. A bigserial id is taken when the row is inserted, not when its
 * transaction commits: reading `id > cursor` would skip a row whose transaction took a lower id
 * and committed after the read. So a row also records its transaction id (`xid`, xid8), rows are
 * ordered by (xid, id), and a reader only takes rows whose xid is below the oldest transaction
 * still running (`pg_snapshot_xmin(pg_current_snapshot())`). Every transaction below that bound
 * has ended, so all its rows are visible and no row can later appear below the bound: a cursor
 * (xid, id) never passes a row it has not seen. The cost: delivery waits for the oldest write
 * transaction in flight (they are short here; a long one delays events, it never loses them).
 */

/** What a row is; the SSE event name of the durable events. */
export type JournalKind =
  | "message.created"
  | "message.updated"
  | "message.deleted"
  | "reaction.added"
  | "reaction.removed"
  | "receipt.updated"
  | "friend_request.received"
  | "friend_request.updated"
  | "room.added"
  | "room.updated"
  | "room.removed";

/** A row to append: `userId` set for one recipient only; otherwise every current member of `roomId`. */
export interface JournalDraft {
  roomId: string | null;
  userId: string | null;
  /** Who caused it (the recipients this person blocked may not get it, see EventStream). */
  actorId: string | null;
  kind: JournalKind;
  payload: Record<string, unknown>;
}

/** A position in the journal: (transaction id, row id), both 64-bit, kept as bigint. */
export interface Cursor {
  xid: bigint;
  id: bigint;
}

/** A row as streams deliver it. */
export interface JournalRow extends Omit<JournalDraft, "payload"> {
  cursor: Cursor;
  payload: Record<string, unknown>;
  /** Its SSE frame once made: the same bytes for every stream that sends it. */
  frame?: string;
}

export const compareCursors = (a: Cursor, b: Cursor): number =>
  a.xid !== b.xid ? (a.xid < b.xid ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/** The opaque SSE id of a position. */
export const encodeCursor = (c: Cursor): string => `${c.xid.toString(36)}-${c.id.toString(36)}`;

/** A position from an SSE id; null for anything this server did not make. */
export function decodeCursor(text: string): Cursor | null {
  const match = /^([0-9a-z]{1,13})-([0-9a-z]{1,13})$/.exec(text);
  if (!match) return null;
  const parse36 = (s: string) => [...s].reduce((n, ch) => n * 36n + BigInt(Number.parseInt(ch, 36)), 0n);
  return { xid: parse36(match[1] as string), id: parse36(match[2] as string) };
}

/**
 * The insert of journal rows given as a JSON array in `rowsParam` (journalRows), in their order.
 * Message events carry the sender's name and avatar as REST does, joined in the insert. A
 * statement of its own (appendEvents) or a part of the mirror's (writeMirrors).
 */
export function appendEventsSql(rowsParam: string): string {
  return `
  INSERT INTO chat_events (room_id, user_id, actor_id, kind, payload)
  SELECT (e->>'room_id')::uuid, (e->>'user_id')::uuid, (e->>'actor_id')::uuid, e->>'kind',
         CASE WHEN e->>'kind' LIKE 'message.%'
              THEN (e->'payload') || jsonb_build_object('sender_name', COALESCE(u.display_name, u.username), 'sender_avatar', u.avatar_url)
              ELSE e->'payload' END
    FROM jsonb_array_elements(${rowsParam}) WITH ORDINALITY AS d(e, n)
    LEFT JOIN users u ON e->>'kind' LIKE 'message.%' AND u.id = (e->'payload'->>'sender_id')::uuid
   ORDER BY n`;
}

/** Drafts as the JSON parameter appendEventsSql reads. */
export function journalRows(drafts: JournalDraft[]): string {
  return storableJson(drafts.map((d) => ({ room_id: d.roomId, user_id: d.userId, actor_id: d.actorId, kind: d.kind, payload: d.payload })));
}

/** Append drafts in one statement, in their order, inside the caller's transaction. */
export async function appendEvents(tx: Queryable, drafts: JournalDraft[]): Promise<void> {
  if (drafts.length === 0) return;
  await tx.query(appendEventsSql("$1::jsonb"), [journalRows(drafts)]);
}

interface RawRow {
  xid: string;
  id: string;
  room_id: string | null;
  user_id: string | null;
  actor_id: string | null;
  kind: JournalKind;
  payload: Record<string, unknown>;
}

const toRow = (r: RawRow): JournalRow => ({
  cursor: { xid: BigInt(r.xid), id: BigInt(r.id) },
  roomId: r.room_id,
  userId: r.user_id,
  actorId: r.actor_id,
  kind: r.kind,
  payload: r.payload,
});

const COLUMNS = "xid::text AS xid, id::text AS id, room_id, user_id, actor_id, kind, payload";

/**
 * An erased message's text must survive nowhere: drop the journal rows that carry it (its
 * message.* events). Called in the erase's transaction, which then journals its deletion.
 */
export async function eraseMessageEvents(tx: Queryable, messageId: string): Promise<void> {
  await tx.query("DELETE FROM chat_events WHERE kind LIKE 'message.%' AND payload->>'id' = $1", [messageId]);
}

/**
 * Rows after `after` whose transactions have all ended, in order, at most `limit`; `unsettled`
 * when committed rows after them wait for an older transaction to end (read again soon). One
 * statement: rows are in xid order, so the settled ones are a prefix of what it returns.
 */
export async function readSettled(db: Queryable, after: Cursor, limit: number): Promise<{ rows: JournalRow[]; unsettled: boolean }> {
  const { rows } = await db.query<RawRow & { settled: boolean }>(
    `SELECT ${COLUMNS}, xid < pg_snapshot_xmin(pg_current_snapshot()) AS settled FROM chat_events
      WHERE (xid, id) > ($1::text::xid8, $2::bigint)
      ORDER BY xid, id LIMIT $3`,
    [after.xid.toString(), after.id.toString(), limit],
  );
  const waiting = rows.findIndex((r) => !r.settled);
  return waiting === -1 ? { rows: rows.map(toRow), unsettled: false } : { rows: rows.slice(0, waiting).map(toRow), unsettled: true };
}

/** Rows in (after, upto], in order, at most `limit`: a range a reader already knows is settled. */
export async function readRange(db: Queryable, after: Cursor, upto: Cursor, limit: number): Promise<JournalRow[]> {
  const { rows } = await db.query<RawRow>(
    `SELECT ${COLUMNS} FROM chat_events
      WHERE (xid, id) > ($1::text::xid8, $2::bigint) AND (xid, id) <= ($3::text::xid8, $4::bigint)
      ORDER BY xid, id LIMIT $5`,
    [after.xid.toString(), after.id.toString(), upto.xid.toString(), upto.id.toString(), limit],
  );
  return rows.map(toRow);
}

/** Where a reader starting now begins: before every transaction still running, after every ended one. */
export async function settledHead(db: Queryable): Promise<Cursor> {
  const { rows } = await db.query<{ xmin: string }>("SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin");
  return { xid: BigInt(rows[0]?.xmin ?? "0"), id: 0n };
}

/** The newest position pruned away: a cursor below it has missed rows. */
export async function prunedHorizon(db: Queryable): Promise<Cursor> {
  const { rows } = await db.query<{ xid: string; id: string }>("SELECT xid::text AS xid, id::text AS id FROM chat_events_horizon");
  const row = rows[0];
  return row ? { xid: BigInt(row.xid), id: BigInt(row.id) } : { xid: 0n, id: 0n };
}

/**
 * Drop rows older than `olderThanSeconds` and, past `maxRows`, the oldest; move the horizon to
 * the newest position dropped, in the same statement. Only rows of ended transactions go. A
 * cursor at or past the horizon has missed nothing that went; one below it is told to reset.
 */
export async function pruneJournal(db: Queryable, olderThanSeconds: number, maxRows: number): Promise<number> {
  const { rows } = await db.query<{ n: string | number }>(
    `WITH gone AS (
       DELETE FROM chat_events c
        WHERE c.xid < pg_snapshot_xmin(pg_current_snapshot())
          AND (c.created_at < now() - make_interval(secs => $1::float8)
               -- Past the size bound by id (the primary key's newest is one index step); any
               -- rows may go, since the horizon below is the newest position that went.
               OR c.id <= (SELECT max(id) FROM chat_events) - $2::bigint)
       RETURNING c.xid, c.id
     ), top AS (
       SELECT xid, id FROM gone ORDER BY xid DESC, id DESC LIMIT 1
     ), moved AS (
       UPDATE chat_events_horizon h SET xid = top.xid, id = top.id FROM top WHERE (top.xid, top.id) > (h.xid, h.id) RETURNING 1
     )
     SELECT count(*) AS n FROM gone`,
    [olderThanSeconds, maxRows],
  );
  return Number(rows[0]?.n ?? 0);
}
