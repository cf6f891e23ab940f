import type { BlockedUser } from "../../shared/api/friends.ts";
import type { Queryable } from "../db/database.ts";
import { decodeTimeCursor, encodeCursor } from "../http/cursor.ts";
import { HttpError } from "../http/http-error.ts";
import { unfriend } from "./friendships.ts";
import { lockPair } from "./pair-lock.ts";
import { cancelPendingBetween } from "./requests.ts";

/** Block `them`: ends our friendship and whatever request is pending between us. Idempotent. */
export async function block(tx: Queryable, me: string, them: string): Promise<void> {
  if (me === them) throw new HttpError("cannot_block_self", "You cannot block yourself.");
  await lockPair(tx, me, them);
  const { rows } = await tx.query("SELECT 1 FROM users WHERE id = $1", [them]);
  if (rows.length === 0) throw new HttpError("user_not_found", "No such user.");
  await tx.query("INSERT INTO user_blocks (blocker_id, blocked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", [me, them]);
  await unfriend(tx, me, them);
  await cancelPendingBetween(tx, me, them);
}

/** Lift my block of `them`; 404 when there is none. */
export async function unblock(tx: Queryable, me: string, them: string): Promise<void> {
  const { rows } = await tx.query("DELETE FROM user_blocks WHERE blocker_id = $1 AND blocked_id = $2 RETURNING 1", [me, them]);
  if (rows.length === 0) throw new HttpError("not_blocked", "You have not blocked this user.");
}

/** Whom I blocked, newest first; null for a foreign cursor. */
export async function listBlocked(
  db: Queryable,
  me: string,
  page: { before?: string; limit: number },
): Promise<{ items: BlockedUser[]; next_cursor: string | null } | null> {
  const params: unknown[] = [me, page.limit + 1];
  let where = "b.blocker_id = $1";
  if (page.before) {
    const cursor = decodeTimeCursor(page.before);
    if (!cursor) return null;
    params.push(cursor[0], cursor[1]);
    where += " AND (b.created_at, b.blocked_id) < ($3::timestamptz, $4::uuid)";
  }
  const { rows } = await db.query<BlockedUser & { sort_at: string; created_at: Date }>(
    `SELECT u.id, u.username, u.display_name, u.avatar_url, b.created_at, b.created_at::text AS sort_at
       FROM user_blocks b JOIN users u ON u.id = b.blocked_id
      WHERE ${where} ORDER BY b.created_at DESC, b.blocked_id DESC LIMIT $2`,
    params,
  );
  const pageRows = rows.slice(0, page.limit);
  const last = pageRows.at(-1);
  return {
    items: pageRows.map(({ sort_at: _, created_at, ...user }) => ({ ...user, blocked_at: created_at.toISOString() })),
    next_cursor: rows.length > page.limit && last ? encodeCursor(last.sort_at, last.id) : null,
  };
}
