import type { UserSearchResult } from "../../shared/api/users.ts";
import type { Queryable } from "../db/database.ts";
import { RELATIONSHIP_SQL } from "../friends/relations.ts";
import { decodeCursor, encodeCursor } from "../http/cursor.ts";

/**
 * Prefix search on username or display name, case-insensitive. Each arm of the OR matches one
 * `text_pattern_ops` index on lower(...), so the planner ORs two index scans instead of reading
 * every user. `OFFSET 0` fences the matching off from the ORDER BY ... LIMIT: without it the
 * planner may prefer walking the username index in order, filtering, which for a rare prefix
 * reads nearly every user. The hits are then sorted by username for stable paging; blocks are
 * two anti-joins against my (few) blocks, and `relationship` is computed for the page only.
 * Parameters: $1 me, $2 the LIKE pattern, $3 the cursor (last username, lowercased) or null,
 * $4 page size + 1.
 */
export const SEARCH_SQL = `SELECT u.id, u.username, u.display_name, u.avatar_url, ${RELATIONSHIP_SQL} AS relationship
  FROM (SELECT id, username, display_name, avatar_url FROM users
         WHERE (lower(username) LIKE $2 OR lower(display_name) LIKE $2)
           AND id <> $1
           AND ($3::text IS NULL OR lower(username) > $3::text)
        OFFSET 0) u
 WHERE NOT EXISTS (SELECT 1 FROM user_blocks b WHERE b.blocker_id = $1 AND b.blocked_id = u.id)
   AND NOT EXISTS (SELECT 1 FROM user_blocks b WHERE b.blocker_id = u.id AND b.blocked_id = $1)
 ORDER BY lower(u.username)
 LIMIT $4`;

/** `q` as a LIKE prefix pattern that matches its own `%`, `_` and `\` literally. */
export function prefixPattern(q: string): string {
  return `${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** One page of people matching `q`; null for a cursor this server did not make. */
export async function searchUsers(
  db: Queryable,
  meId: string,
  page: { q: string; before?: string; limit: number },
): Promise<{ items: UserSearchResult[]; next_cursor: string | null } | null> {
  let after: string | null = null;
  if (page.before) {
    const cursor = decodeCursor(page.before, 1);
    if (!cursor) return null;
    after = cursor[0] ?? null;
  }
  const { rows } = await db.query<UserSearchResult>(SEARCH_SQL, [meId, prefixPattern(page.q), after, page.limit + 1]);
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return { items, next_cursor: rows.length > page.limit && last ? encodeCursor(last.username.toLowerCase()) : null };
}
