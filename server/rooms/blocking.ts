import type { Queryable } from "../db/database.ts";

/**
 * True when either user has blocked the other. The seam the social-graph issue builds on: direct
 * rooms cannot be opened or written to across a block.
 */
export async function isBlockedBetween(db: Queryable, a: string, b: string): Promise<boolean> {
  const { rows } = await db.query(
    `SELECT 1 FROM user_blocks WHERE (blocker_id = $1 AND blocked_id = $2) OR (blocker_id = $2 AND blocked_id = $1)`,
    [a, b],
  );
  return rows.length > 0;
}

/** True when the room is a direct room and one of the pair blocked the other: nobody writes in it. */
export async function isReadOnlyDirectRoom(db: Queryable, roomId: string): Promise<boolean> {
  const { rows } = await db.query<{ blocked: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM chat_rooms r JOIN user_blocks b
         ON (b.blocker_id = split_part(r.direct_key, ':', 1)::uuid AND b.blocked_id = split_part(r.direct_key, ':', 2)::uuid)
         OR (b.blocker_id = split_part(r.direct_key, ':', 2)::uuid AND b.blocked_id = split_part(r.direct_key, ':', 1)::uuid)
        WHERE r.id = $1 AND r.type = 'direct') AS blocked`,
    [roomId],
  );
  return rows[0]?.blocked ?? false;
}
