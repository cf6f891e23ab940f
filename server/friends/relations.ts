import type { Relationship } from "../../shared/api/users.ts";
import type { Queryable } from "../db/database.ts";

/**
 * SQL for how `$me` stands with the user `u` (a row alias), as search results and profiles show it.
 * Blocks by the other side are not shown: such users are invisible instead.
 */
export const RELATIONSHIP_SQL = `CASE
    WHEN u.id = $1 THEN 'self'
    WHEN EXISTS (SELECT 1 FROM user_blocks b WHERE b.blocker_id = $1 AND b.blocked_id = u.id) THEN 'blocked_by_me'
    WHEN EXISTS (SELECT 1 FROM friendships f WHERE f.user_id = $1 AND f.friend_id = u.id) THEN 'friends'
    WHEN EXISTS (SELECT 1 FROM friend_requests r WHERE r.requester_id = $1 AND r.requestee_id = u.id AND r.status = 'pending') THEN 'request_sent'
    WHEN EXISTS (SELECT 1 FROM friend_requests r WHERE r.requester_id = u.id AND r.requestee_id = $1 AND r.status = 'pending') THEN 'request_received'
    ELSE 'none' END`;

export async function areFriends(db: Queryable, a: string, b: string): Promise<boolean> {
  const { rows } = await db.query("SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2", [a, b]);
  return rows.length > 0;
}

/** How many friends `a` and `b` share. */
export async function mutualFriendCount(db: Queryable, a: string, b: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM friendships x JOIN friendships y ON y.user_id = $2 AND y.friend_id = x.friend_id
      WHERE x.user_id = $1`,
    [a, b],
  );
  return rows[0]?.n ?? 0;
}

export type { Relationship };
