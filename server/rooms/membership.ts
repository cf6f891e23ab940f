import type { Queryable } from "../db/database.ts";

/** True when the user is a current (not departed) participant of the room. */
export async function isCurrentMember(db: Queryable, roomId: string, userId: string): Promise<boolean> {
  const { rows } = await db.query("SELECT 1 FROM chat_participants WHERE room_id = $1 AND user_id = $2 AND left_at IS NULL", [
    roomId,
    userId,
  ]);
  return rows.length > 0;
}

/** True when the user may delete others' messages in the room: a group's admin. */
export async function isGroupAdmin(db: Queryable, roomId: string, userId: string): Promise<boolean> {
  const { rows } = await db.query(
    `SELECT 1 FROM chat_participants p JOIN chat_rooms r ON r.id = p.room_id
      WHERE p.room_id = $1 AND p.user_id = $2 AND p.left_at IS NULL AND p.role = 'admin' AND r.type = 'group'`,
    [roomId, userId],
  );
  return rows.length > 0;
}
