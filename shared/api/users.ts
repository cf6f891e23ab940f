import { z } from "zod";
import { pageQuerySchema, userSchema } from "./common.ts";
import { storableText, text } from "./text.ts";

/** Who may send me friend requests. */
export const friendRequestsFromSchema = z.enum(["everyone", "friends_of_friends", "nobody"]);
export type FriendRequestsFrom = z.infer<typeof friendRequestsFromSchema>;

/** PUT /api/v1/users/me: every field optional; null clears it. */
export const profileUpdateSchema = z.strictObject({
  display_name: text().trim().min(1).max(64).nullable().optional(),
  avatar_url: z
    .url({ protocol: /^https?$/, message: "must be an http(s) URL" })
    .check(storableText)
    .max(2048)
    .nullable()
    .optional(),
  bio: text().trim().max(500).nullable().optional(),
  friend_requests_from: friendRequestsFromSchema.optional(),
});
export type ProfileUpdate = z.infer<typeof profileUpdateSchema>;

/** How the caller stands with another user, as search results and profiles show it. */
export const relationshipSchema = z.enum(["none", "friends", "request_sent", "request_received", "blocked_by_me", "self"]);
export type Relationship = z.infer<typeof relationshipSchema>;

/** GET /api/v1/users/search?q=&before=&limit= */
export const userSearchQuerySchema = pageQuerySchema.extend({
  q: text().trim().min(1, "type at least one character").max(64),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});

/** One search hit. */
export const userSearchResultSchema = userSchema.extend({ relationship: relationshipSchema });
export type UserSearchResult = z.infer<typeof userSearchResultSchema>;

/**
 * GET /api/v1/users/{user_id}/profile: what anyone may see, plus presence and `friends_since`
 * for friends only (null for everyone else).
 */
export const profileResponseSchema = userSchema.extend({
  bio: z.string().nullable(),
  created_at: z.string(),
  relationship: relationshipSchema,
  mutual_count: z.number().int(),
  is_online: z.boolean().nullable(),
  last_seen: z.string().nullable(),
  friends_since: z.string().nullable(),
});
export type ProfileResponse = z.infer<typeof profileResponseSchema>;
