import type { PushPreferences, PushPreferencesUpdate } from "../../shared/api/push.ts";
import type { Queryable } from "../db/database.ts";

/** SQL for a user's preference `kind` (p: a LEFT JOIN of push_preferences): on unless turned off. */
export const prefersSql = (kind: keyof PushPreferences) => `COALESCE(p.${kind}, true)`;

/** `userId`'s notification kinds (all on when they never chose). */
export async function preferencesOf(db: Queryable, userId: string): Promise<PushPreferences> {
  const { rows } = await db.query<PushPreferences>(
    `SELECT ${prefersSql("messages")} AS messages, ${prefersSql("mentions")} AS mentions, ${prefersSql("friend_requests")} AS friend_requests
       FROM (SELECT $1::uuid AS user_id) me LEFT JOIN push_preferences p ON p.user_id = me.user_id`,
    [userId],
  );
  return rows[0] ?? { messages: true, mentions: true, friend_requests: true };
}

/** Change the kinds named in `update`; the others keep their value. */
export async function updatePreferences(db: Queryable, userId: string, update: PushPreferencesUpdate): Promise<PushPreferences> {
  await db.query(
    `INSERT INTO push_preferences (user_id, messages, mentions, friend_requests)
     VALUES ($1, COALESCE($2, true), COALESCE($3, true), COALESCE($4, true))
     ON CONFLICT (user_id) DO UPDATE SET messages = COALESCE($2, push_preferences.messages),
       mentions = COALESCE($3, push_preferences.mentions), friend_requests = COALESCE($4, push_preferences.friend_requests),
       updated_at = now()`,
    [userId, update.messages ?? null, update.mentions ?? null, update.friend_requests ?? null],
  );
  return preferencesOf(db, userId);
}
