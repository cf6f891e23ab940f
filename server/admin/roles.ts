import type { Queryable } from "../db/database.ts";

/** Make `username` a server admin, or not; false when there is no such user. */
export async function setServerAdmin(db: Queryable, username: string, admin: boolean): Promise<boolean> {
  const { rows } = await db.query("UPDATE users SET is_server_admin = $2 WHERE lower(username) = lower($1) RETURNING id", [
    username,
    admin,
  ]);
  return rows.length > 0;
}
