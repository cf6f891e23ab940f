import { z } from "zod";
import { pageQuerySchema, userSchema } from "./common.ts";
import { text } from "./text.ts";

/** A friend request's life: pending until answered (accepted, declined) or cancelled by its sender. */
export const friendRequestStatusSchema = z.enum(["pending", "accepted", "declined", "cancelled"]);
export type FriendRequestStatus = z.infer<typeof friendRequestStatusSchema>;

/** POST /api/v1/chat/friends/requests (the seed's FriendRequestCreate). */
export const friendRequestCreateSchema = z.strictObject({
  requestee_id: z.uuid(),
  message: text().trim().max(500).nullable().optional(),
});
export type FriendRequestCreate = z.infer<typeof friendRequestCreateSchema>;

/** PUT /api/v1/chat/friends/requests/{id}: the requestee answers. */
export const friendRequestAnswerSchema = z.strictObject({ status: z.enum(["accepted", "declined"]) });

/** GET /api/v1/chat/friends/requests?direction= (pending requests; received by default). */
export const friendRequestListQuerySchema = pageQuerySchema.extend({
  direction: z.enum(["received", "sent"]).default("received"),
});

/** The seed's FriendRequestResponse: names are display names, falling back to usernames. */
export const friendRequestResponseSchema = z.object({
  id: z.uuid(),
  requester_id: z.uuid(),
  requester_name: z.string(),
  requester_avatar: z.string().nullable(),
  requestee_id: z.uuid(),
  requestee_name: z.string(),
  requestee_avatar: z.string().nullable(),
  status: friendRequestStatusSchema,
  message: z.string().nullable(),
  created_at: z.string(),
  responded_at: z.string().nullable(),
});
export type FriendRequestResponse = z.infer<typeof friendRequestResponseSchema>;

/** The seed's FriendResponse, with when the friendship began. */
export const friendResponseSchema = userSchema.extend({
  is_online: z.boolean(),
  last_seen: z.string().nullable(),
  friends_since: z.string(),
});
export type FriendResponse = z.infer<typeof friendResponseSchema>;

/** GET /api/v1/chat/friends/suggestions: people my friends know, by how many. */
export const suggestionSchema = userSchema.extend({ mutual_count: z.number().int().positive() });
export type Suggestion = z.infer<typeof suggestionSchema>;

export const suggestionQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(50).default(20),
});

/** GET /api/v1/chat/friends/blocked */
export const blockedUserSchema = userSchema.extend({ blocked_at: z.string() });
export type BlockedUser = z.infer<typeof blockedUserSchema>;
