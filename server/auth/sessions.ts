import { createHash, randomBytes } from "node:crypto";
import type { Queryable } from "../db/database.ts";

const SESSION_DAYS = 30;

function hashToken(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/**
 * A session's id: names it on the cluster bus and in a socket's context without being a
 * credential (the SHA-256 the sessions table is keyed by; the server never accepts it as a token).
 */
export function sessionIdOf(token: string): string {
  return hashToken(token).toString("hex");
}

/** The user behind a live session. */
export interface SessionUser {
  id: string;
  username: string;
  display_name: string | null;
  avatar_url: string | null;
  is_server_admin: boolean;
}

/** Make a new opaque session token for `userId`; only its SHA-256 is stored. */
export async function createSession(db: Queryable, userId: string): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  await db.query(`INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, now() + make_interval(days => $3))`, [
    hashToken(token),
    userId,
    SESSION_DAYS,
  ]);
  return token;
}

/** The user of a live (unexpired, unrevoked) session token, or null. */
export async function userForToken(db: Queryable, token: string): Promise<SessionUser | null> {
  if (!token || token.length > 200) return null;
  const { rows } = await db.query<SessionUser>(
    `SELECT u.id, u.username, u.display_name, u.avatar_url, u.is_server_admin
       FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
        AND (u.suspended_until IS NULL OR u.suspended_until <= now())`,
    [hashToken(token)],
  );
  return rows[0] ?? null;
}

/**
 * Revoke a session token (logout); revoking twice is harmless. Returns the session's id (see
 * sessionIdOf), for the caller to tell the live processes to close its sockets.
 */
export async function revokeSession(db: Queryable, token: string): Promise<string> {
  await db.query("UPDATE sessions SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL", [hashToken(token)]);
  return sessionIdOf(token);
}
