import { z } from "zod";
import { storableText, text } from "./text.ts";

// A browser's PushSubscription keys, base64url as `PushSubscription.toJSON()` gives them: p256dh
// is an uncompressed P-256 point (65 bytes, 87 characters), auth a 16-byte secret (22 characters).
const base64Url = (bytes: number) => {
  const chars = Math.ceil((bytes * 4) / 3);
  const padding = (4 - (chars % 4)) % 4;
  return new RegExp(`^[A-Za-z0-9_+/-]{${chars}}={0,${padding}}$`);
};

/** GET /api/v1/push/config: what a browser needs to subscribe (the server's VAPID public key). */
export const pushConfigResponseSchema = z.object({ public_key: z.string() });
export type PushConfigResponse = z.infer<typeof pushConfigResponseSchema>;

/**
 * POST /api/v1/push/subscriptions: `PushSubscription.toJSON()` as the browser gives it. The
 * endpoint must be https (see docs/push.md, "Which endpoints the server posts to").
 */
export const pushSubscriptionCreateSchema = z.strictObject({
  endpoint: z.url({ message: "must be a URL" }).check(storableText).max(2048),
  expirationTime: z.number().nullable().optional(),
  keys: z.strictObject({
    p256dh: z.string().regex(base64Url(65), "must be a base64url P-256 public key (65 bytes)"),
    auth: z.string().regex(base64Url(16), "must be a base64url 16-byte secret"),
  }),
});
export type PushSubscriptionCreate = z.infer<typeof pushSubscriptionCreateSchema>;

/** A stored subscription, as POST answers it. */
export const pushSubscriptionResponseSchema = z.object({ id: z.uuid(), endpoint: z.string(), created_at: z.string() });
export type PushSubscriptionResponse = z.infer<typeof pushSubscriptionResponseSchema>;

/** DELETE /api/v1/push/subscriptions: stop sending to this endpoint (mine only; idempotent). */
export const pushSubscriptionDeleteSchema = z.strictObject({ endpoint: text().min(1).max(2048) });

/** Which kinds of notification a user gets; every kind is on until they turn it off. */
export const pushPreferencesSchema = z.object({
  messages: z.boolean(),
  mentions: z.boolean(),
  friend_requests: z.boolean(),
});
export type PushPreferences = z.infer<typeof pushPreferencesSchema>;

/** PUT /api/v1/push/preferences: change some kinds, keep the rest. */
export const pushPreferencesUpdateSchema = z.strictObject({
  messages: z.boolean().optional(),
  mentions: z.boolean().optional(),
  friend_requests: z.boolean().optional(),
});
export type PushPreferencesUpdate = z.infer<typeof pushPreferencesUpdateSchema>;

/** What a notification is about. */
export const pushKindSchema = z.enum(["message", "mention", "friend_request"]);
export type PushKind = z.infer<typeof pushKindSchema>;

/**
 * The JSON a push carries (encrypted end to end to the browser), read by the service worker
 * (client/public/push-handler.js). `count` is how many messages or requests this one push stands
 * for; `latest` is the newest of them as one line; `tag` names what it collapses with (one room,
 * or friend requests), so a newer notification replaces the older on screen.
 */
export const pushPayloadSchema = z.object({
  kind: pushKindSchema,
  room_id: z.uuid().nullable(),
  title: z.string(),
  body: z.string(),
  latest: z.string(),
  count: z.number().int().positive(),
  url: z.string(),
  tag: z.string(),
});
export type PushPayload = z.infer<typeof pushPayloadSchema>;
