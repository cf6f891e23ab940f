import webpush from "web-push";
import type { Queryable } from "../db/database.ts";

/** The key pair this server signs its pushes with (VAPID), base64url as browsers take it. */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/**
 * The environment's pair when it gives one; otherwise the pair stored in the database, generated
 * by whichever process asks first. Insert-if-absent then read back: processes starting together
 * all end up with the one pair that won, so a browser subscribed through any of them verifies
 * pushes from every other.
 */
export async function loadVapidKeys(db: Queryable, env: { VAPID_PUBLIC_KEY?: string; VAPID_PRIVATE_KEY?: string }): Promise<VapidKeys> {
  const { VAPID_PUBLIC_KEY: publicKey, VAPID_PRIVATE_KEY: privateKey } = env;
  if (publicKey && privateKey) return { publicKey, privateKey };
  if (publicKey || privateKey) throw new Error("Invalid configuration: set both VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY, or neither");
  const generated = webpush.generateVAPIDKeys();
  await db.query("INSERT INTO push_vapid_keys (public_key, private_key) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING", [
    generated.publicKey,
    generated.privateKey,
  ]);
  const { rows } = await db.query<{ public_key: string; private_key: string }>("SELECT public_key, private_key FROM push_vapid_keys");
  const stored = rows[0];
  if (!stored) throw new Error("push_vapid_keys is empty after inserting a pair");
  return { publicKey: stored.public_key, privateKey: stored.private_key };
}
