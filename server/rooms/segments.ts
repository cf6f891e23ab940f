import { parseDocumentName, roomSegmentName } from "../../shared/document-names.ts";
import { isUuid } from "../../shared/ids.ts";
import type { Queryable } from "../db/database.ts";

/** Whether the room has segment `segment` (> 0): its predecessor was sealed (docs/architecture.md "Long-lived rooms"). */
export async function segmentExists(db: Queryable, roomId: string, segment: number): Promise<boolean> {
  const { rows } = await db.query("SELECT 1 FROM chat_room_segments WHERE room_id = $1 AND segment = $2", [roomId, segment]);
  return rows.length > 0;
}

/** The names of every document of a room, its head first, then its segments in order. */
export async function roomDocumentNames(db: Queryable, roomId: string): Promise<string[]> {
  const { rows } = await db.query<{ segment: number }>("SELECT segment FROM chat_room_segments WHERE room_id = $1 ORDER BY segment", [
    roomId,
  ]);
  return [roomSegmentName(roomId, 0), ...rows.map((r) => roomSegmentName(roomId, r.segment))];
}

/** Where the room holds a message: its segment and number, from the index; null when it has no such message. */
export async function messageHolder(
  db: Queryable,
  roomId: string,
  messageId: string,
): Promise<{ segment: number; seq: number | null } | null> {
  if (!isUuid(messageId)) return null;
  const { rows } = await db.query<{ segment: number; seq: string | number | null }>(
    "SELECT segment, seq FROM chat_message_index WHERE message_id = $1 AND room_id = $2",
    [messageId, roomId],
  );
  const row = rows[0];
  return row ? { segment: row.segment, seq: row.seq === null ? null : Number(row.seq) } : null;
}

/** The segment that holds a message (0, the head, for one the index lacks). */
export async function segmentHolding(db: Queryable, roomId: string, messageId: string): Promise<number> {
  return (await messageHolder(db, roomId, messageId))?.segment ?? 0;
}

/** The segment number of one of a room's document names (0 for the head). */
export function segmentOfName(name: string): number {
  const parsed = parseDocumentName(name);
  return parsed?.kind === "room" ? parsed.segment : 0;
}
