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
