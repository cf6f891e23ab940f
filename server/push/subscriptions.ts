import type { PushSubscriptionCreate, PushSubscriptionResponse } from "../../shared/api/push.ts";
import { newId } from "../../shared/ids.ts";
import type { Queryable } from "../db/database.ts";

// Devices one user keeps subscribed; subscribing one more forgets the oldest. Every message fans
// out to each of them, so the number is bounded.
const MAX_SUBSCRIPTIONS_PER_USER = 20;

/** A subscription as the dispatcher sends to it. */
export interface StoredSubscription {
  id: string;
  user_id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
}

/**
 * Save `userId`'s subscription. Idempotent per endpoint: subscribing again refreshes the keys, and
 * an endpoint subscribed by another user moves to this one (the browser profile changed hands).
 */
export async function saveSubscription(
  tx: Queryable,
  userId: string,
  subscription: PushSubscriptionCreate,
  userAgent: string | null,
): Promise<{ subscription: PushSubscriptionResponse; created: boolean }> {
  const { rows } = await tx.query<{ id: string; endpoint: string; created_at: Date; created: boolean }>(
    `INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, user_agent) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (endpoint) DO UPDATE SET user_id = EXCLUDED.user_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth,
       user_agent = EXCLUDED.user_agent,
       created_at = CASE WHEN push_subscriptions.user_id = EXCLUDED.user_id THEN push_subscriptions.created_at ELSE now() END
     RETURNING id, endpoint, created_at, (xmax = 0) AS created`,
    [newId(), userId, subscription.endpoint, subscription.keys.p256dh, subscription.keys.auth, userAgent],
  );
  const row = rows[0];
  if (!row) throw new Error("push subscription upsert returned nothing");
  await tx.query(
    `DELETE FROM push_subscriptions WHERE user_id = $1 AND id NOT IN (
       SELECT id FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2)`,
    [userId, MAX_SUBSCRIPTIONS_PER_USER],
  );
  return { subscription: { id: row.id, endpoint: row.endpoint, created_at: row.created_at.toISOString() }, created: row.created };
}

/** Forget `userId`'s subscription of `endpoint`; another user's is left alone. */
export async function deleteSubscription(db: Queryable, userId: string, endpoint: string): Promise<void> {
  await db.query("DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2", [userId, endpoint]);
}

/** Forget a subscription the push service says is gone (404/410) or that cannot be encrypted for. */
export async function forgetSubscription(db: Queryable, id: string): Promise<void> {
  await db.query("DELETE FROM push_subscriptions WHERE id = $1", [id]);
}

/** Every subscription of these users. */
export async function subscriptionsOf(db: Queryable, userIds: string[]): Promise<StoredSubscription[]> {
  if (userIds.length === 0) return [];
  const { rows } = await db.query<StoredSubscription>(
    "SELECT id, user_id::text, endpoint, p256dh, auth FROM push_subscriptions WHERE user_id = ANY($1::uuid[])",
    [userIds],
  );
  return rows;
}
