import type { Queryable } from "../db/database.ts";

/**
 * Suspend a user until `until`: their sessions are revoked at once (so every REST call answers
 * 401 and the WebSocket refuses them), and logging in is refused until the time passes. The
 * caller tells the live processes to close the user's sockets. Returns the user's id, or null
 * when there is no such username.
 */
export async function suspendUser(db: Queryable, username: string, until: Date, reason: string | null): Promise<string | null> {
  const { rows } = await db.query<{ id: string }>(
    "UPDATE users SET suspended_until = $2, suspension_reason = $3 WHERE lower(username) = lower($1) RETURNING id",
    [username, until, reason],
  );
  const userId = rows[0]?.id;
  if (!userId) return null;
  await db.query("UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", [userId]);
  return userId;
}

/** Lift a suspension early; false when there is no such username. */
export async function unsuspendUser(db: Queryable, username: string): Promise<boolean> {
  const { rows } = await db.query(
    "UPDATE users SET suspended_until = NULL, suspension_reason = NULL WHERE lower(username) = lower($1) RETURNING id",
    [username],
  );
  return rows.length > 0;
}

/** When a user's suspension ends, or null when they are not suspended now. */
export async function suspendedUntil(db: Queryable, userId: string): Promise<Date | null> {
  const { rows } = await db.query<{ suspended_until: Date | null }>(
    "SELECT suspended_until FROM users WHERE id = $1 AND suspended_until > now()",
    [userId],
  );
  return rows[0]?.suspended_until ?? null;
}
