import type { Queryable } from "../db/database.ts";

/**
 * True when another room already has a message with one of these ids. Ids are made by clients and
 * the message index is keyed by id alone, so a reused id would make one room's message speak for
 * another's (its deletion, its uploads). One indexed lookup; nothing when the update creates none.
 */
export async function messageIdsUsedElsewhere(db: Queryable, roomId: string, ids: string[]): Promise<boolean> {
  if (ids.length === 0) return false;
  const { rows } = await db.query("SELECT 1 FROM chat_message_index WHERE message_id = ANY($1::uuid[]) AND room_id <> $2 LIMIT 1", [
    ids,
    roomId,
  ]);
  return rows.length > 0;
}
