import type { ProfileResponse, Relationship } from "../../shared/api/users.ts";
import type { Queryable } from "../db/database.ts";
import { mutualFriendCount, RELATIONSHIP_SQL } from "../friends/relations.ts";
import { HttpError } from "../http/http-error.ts";
import { IS_ONLINE_SQL } from "../presence/online-sql.ts";

interface ProfileRow {
  id: string;
  username: string;
  display_name: string | null;
  avatar_url: string | null;
  bio: string | null;
  created_at: Date;
  relationship: Relationship;
  is_online: boolean;
  last_seen: Date | null;
  friends_since: Date | null;
  blocked_me: boolean;
}

/**
 * A user as `me` may see them: anyone sees the public fields, how we stand and our mutual
 * friends; only friends (and the user themself) see presence and the friendship's date. Someone
 * who blocked me does not exist for me.
 */
export async function profileFor(db: Queryable, me: string, userId: string): Promise<ProfileResponse> {
  const { rows } = await db.query<ProfileRow>(
    `SELECT u.id, u.username, u.display_name, u.avatar_url, u.bio, u.created_at, ${RELATIONSHIP_SQL} AS relationship,
            ${IS_ONLINE_SQL} AS is_online, u.last_seen,
            (SELECT f.created_at FROM friendships f WHERE f.user_id = $1 AND f.friend_id = u.id) AS friends_since,
            EXISTS (SELECT 1 FROM user_blocks b WHERE b.blocker_id = u.id AND b.blocked_id = $1) AS blocked_me
       FROM users u WHERE u.id = $2`,
    [me, userId],
  );
  const row = rows[0];
  if (!row || row.blocked_me) throw new HttpError("user_not_found", "No such user.");
  const sees = row.relationship === "friends" || row.relationship === "self";
  return {
    id: row.id,
    username: row.username,
    display_name: row.display_name,
    avatar_url: row.avatar_url,
    bio: row.bio,
    created_at: row.created_at.toISOString(),
    relationship: row.relationship,
    mutual_count: row.relationship === "self" ? 0 : await mutualFriendCount(db, me, userId),
    is_online: sees ? row.is_online : null,
    last_seen: sees ? (row.last_seen?.toISOString() ?? null) : null,
    friends_since: row.friends_since?.toISOString() ?? null,
  };
}
