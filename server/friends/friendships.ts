import type { FriendResponse } from "../../shared/api/friends.ts";
import type { Queryable } from "../db/database.ts";
import { decodeCursor, encodeCursor } from "../http/cursor.ts";
import { IS_ONLINE_SQL } from "../presence/online-sql.ts";

const FRIEND_SELECT = `SELECT u.id, u.username, u.display_name, u.avatar_url, ${IS_ONLINE_SQL} AS is_online,
       u.last_seen, f.created_at AS friends_since
  FROM friendships f JOIN users u ON u.id = f.friend_id`;

interface FriendRow extends Omit<FriendResponse, "last_seen" | "friends_since"> {
  last_seen: Date | null;
  friends_since: Date;
}

const toFriend = (row: FriendRow): FriendResponse => ({
  ...row,
  last_seen: row.last_seen?.toISOString() ?? null,
  friends_since: row.friends_since.toISOString(),
});

/** My friends by username, one page; null for a cursor this server did not make. */
export async function listFriends(
  db: Queryable,
  meId: string,
  page: { before?: string; limit: number },
): Promise<{ items: FriendResponse[]; next_cursor: string | null } | null> {
  let after: string | null = null;
  if (page.before) {
    const cursor = decodeCursor(page.before, 1);
    if (!cursor) return null;
    after = cursor[0] ?? null;
  }
  const { rows } = await db.query<FriendRow>(
    `${FRIEND_SELECT} WHERE f.user_id = $1 AND ($2::text IS NULL OR lower(u.username) > $2::text)
      ORDER BY lower(u.username) LIMIT $3`,
    [meId, after, page.limit + 1],
  );
  const items = rows.slice(0, page.limit).map(toFriend);
  const last = items.at(-1);
  return { items, next_cursor: rows.length > page.limit && last ? encodeCursor(last.username.toLowerCase()) : null };
}

/** Every friend of a user (for their live user document). */
export async function allFriends(db: Queryable, userId: string): Promise<FriendResponse[]> {
  const { rows } = await db.query<FriendRow>(`${FRIEND_SELECT} WHERE f.user_id = $1`, [userId]);
  return rows.map(toFriend);
}

/** Befriend both ways; a friendship that exists already is kept with its original date. */
export async function befriend(tx: Queryable, a: string, b: string): Promise<void> {
  await tx.query(`INSERT INTO friendships (user_id, friend_id) VALUES ($1, $2), ($2, $1) ON CONFLICT (user_id, friend_id) DO NOTHING`, [
    a,
    b,
  ]);
}

/** End a friendship both ways; true when there was one. */
export async function unfriend(tx: Queryable, a: string, b: string): Promise<boolean> {
  const { rows } = await tx.query(
    `DELETE FROM friendships WHERE (user_id = $1 AND friend_id = $2) OR (user_id = $2 AND friend_id = $1) RETURNING 1`,
    [a, b],
  );
  return rows.length > 0;
}
