import type { Queryable } from "../db/database.ts";

/** True when the user is a current (not departed) participant of the room. */
export async function isCurrentMember(db: Queryable, roomId: string, userId: string): Promise<boolean> {
  const { rows } = await db.query("SELECT 1 FROM chat_participants WHERE room_id = $1 AND user_id = $2 AND left_at IS NULL", [
    roomId,
    userId,
  ]);
  return rows.length > 0;
}
