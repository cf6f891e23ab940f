import type { Suggestion } from "../../shared/api/friends.ts";
import type { Queryable } from "../db/database.ts";

/**
 * People my friends are friends with, ranked by how many of my friends they know, in one query:
 * two index range scans over `friendships` (stored both ways) and an anti-join for everyone I
 * must not be offered (myself, friends, pending requests and blocks in either direction). Its cost
 * grows with friends × their friends, not with the number of users.
 */
export const SUGGESTIONS_SQL = `WITH candidates AS (
    SELECT fof.friend_id AS id, count(*)::int AS mutual_count
      FROM friendships mine
      JOIN friendships fof ON fof.user_id = mine.friend_id
     WHERE mine.user_id = $1 AND fof.friend_id <> $1
     GROUP BY fof.friend_id
  ),
  -- Rank first, looking each candidate's name up by primary key, and join users only for the
  -- page: joining every candidate first tempts PostgreSQL into scanning all users.
  ranked AS (
    SELECT c.id, c.mutual_count
      FROM candidates c
     WHERE NOT EXISTS (SELECT 1 FROM friendships f WHERE f.user_id = $1 AND f.friend_id = c.id)
       AND NOT EXISTS (SELECT 1 FROM friend_requests r WHERE r.status = 'pending'
                         AND LEAST(r.requester_id, r.requestee_id) = LEAST($1::uuid, c.id)
                         AND GREATEST(r.requester_id, r.requestee_id) = GREATEST($1::uuid, c.id))
       AND NOT EXISTS (SELECT 1 FROM user_blocks b
                        WHERE (b.blocker_id = $1 AND b.blocked_id = c.id) OR (b.blocker_id = c.id AND b.blocked_id = $1))
     ORDER BY c.mutual_count DESC, (SELECT lower(x.username) FROM users x WHERE x.id = c.id)
     LIMIT $2
  )
  SELECT u.id, u.username, u.display_name, u.avatar_url, r.mutual_count
    FROM ranked r JOIN users u ON u.id = r.id
   ORDER BY r.mutual_count DESC, lower(u.username)`;

export async function suggestFriends(db: Queryable, meId: string, limit: number): Promise<Suggestion[]> {
  const { rows } = await db.query<Suggestion>(SUGGESTIONS_SQL, [meId, limit]);
  return rows;
}
