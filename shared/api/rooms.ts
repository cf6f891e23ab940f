import { z } from "zod";
import { contentFilterModeSchema } from "../content-filter/rules.ts";
import { userSchema } from "./common.ts";
import { text } from "./text.ts";

export const roomTypeSchema = z.enum(["direct", "group"]);
export const roomVisibilitySchema = z.enum(["private", "public"]);
export const roomRoleSchema = z.enum(["admin", "member"]);
export type RoomRole = z.infer<typeof roomRoleSchema>;

/** The seed's integration points: a room may belong to a community or a trainer's clients. */
export const roomContextSchema = z.strictObject({
  type: z.enum(["community", "trainer"]),
  id: text().min(1).max(200),
});

/** POST /api/v1/chat/rooms (the seed's ChatRoomCreate). Direct rooms are get-or-create per pair. */
export const chatRoomCreateSchema = z
  .strictObject({
    type: roomTypeSchema.default("direct"),
    name: text().trim().min(1).max(100).optional(),
    description: text().max(1000).optional(),
    visibility: roomVisibilitySchema.optional(),
    participant_ids: z.array(z.uuid()).max(256),
    context: roomContextSchema.optional(),
  })
  .superRefine((room, ctx) => {
    if (room.type === "direct" && room.participant_ids.length !== 1) {
      ctx.addIssue({
        code: "custom",
        path: ["participant_ids"],
        message: "a direct room has exactly one other participant",
      });
    }
    if (room.type === "direct" && (room.name || room.visibility === "public")) {
      ctx.addIssue({
        code: "custom",
        path: ["type"],
        message: "a direct room has no name and is never public",
      });
    }
    if (room.type === "group" && !room.name) {
      ctx.addIssue({ code: "custom", path: ["name"], message: "a group needs a name" });
    }
  });
export type ChatRoomCreate = z.infer<typeof chatRoomCreateSchema>;

/** PUT /api/v1/chat/rooms/{room_id} (groups, room admins). */
export const chatRoomUpdateSchema = z.strictObject({
  name: text().trim().min(1).max(100).optional(),
  description: text().max(1000).nullable().optional(),
  visibility: roomVisibilitySchema.optional(),
  /** Slow mode: each member (not admins) sends at most one message per this many seconds; 0 is off. */
  slow_mode_seconds: z.number().int().min(0).max(3600).optional(),
  /** What the content filter does with filtered words here; null returns to the server's default. */
  content_filter: contentFilterModeSchema.nullable().optional(),
});

/** PUT /api/v1/chat/rooms/{room_id}/settings: mine only. */
export const roomSettingsSchema = z.strictObject({
  is_muted: z.boolean().optional(),
  is_archived: z.boolean().optional(),
});

/** POST /api/v1/chat/rooms/{room_id}/members */
export const addMembersSchema = z.strictObject({ user_ids: z.array(z.uuid()).min(1).max(256) });

/** PUT /api/v1/chat/rooms/{room_id}/members/{user_id} */
export const setRoleSchema = z.strictObject({ role: roomRoleSchema });

export const participantSchema = userSchema.extend({
  role: roomRoleSchema,
  joined_at: z.string(),
});

export const lastMessageSchema = z
  .object({
    id: z.string(),
    sender_id: z.string(),
    content: z.string().nullable(),
    created_at: z.string(),
  })
  .nullable();

/** The seed's ChatRoomResponse, plus my own settings and the last message. */
export const chatRoomResponseSchema = z.object({
  id: z.uuid(),
  type: roomTypeSchema,
  name: z.string().nullable(),
  description: z.string().nullable(),
  visibility: roomVisibilitySchema,
  slow_mode_seconds: z.number().int(),
  /** The room's content-filter mode; null follows the server's `default_mode` (GET /content-filter). */
  content_filter: contentFilterModeSchema.nullable(),
  context: z.object({ type: z.string(), id: z.string() }).nullable(),
  created_by: z.string().nullable(),
  created_at: z.string(),
  last_message_at: z.string().nullable(),
  last_message: lastMessageSchema,
  participants: z.array(participantSchema),
  unread_count: z.number().int(),
  my_role: roomRoleSchema,
  is_muted: z.boolean(),
  is_archived: z.boolean(),
});
export type ChatRoomResponse = z.infer<typeof chatRoomResponseSchema>;

/** GET /api/v1/chat/rooms?archived=true|false */
export const roomListQuerySchema = z.strictObject({
  before: text().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  archived: z.enum(["true", "false"]).optional(),
});

/**
 * GET /api/v1/chat/rooms/{room_id}/members: everyone who is or was in the room, so the names on
 * old messages and read marks stay names. `left_at` is set for those who left or were removed
 * (`removed_by`: the admin who removed them).
 */
export const roomMemberSchema = userSchema.extend({
  role: roomRoleSchema,
  joined_at: z.string(),
  left_at: z.string().nullable(),
  removed_by: z.string().nullable(),
});
export type RoomMember = z.infer<typeof roomMemberSchema>;

/** GET /api/v1/chat/rooms/{room_id}/membership: my place in a room I am or was in. */
export const myMembershipSchema = z.object({
  room_id: z.uuid(),
  room_type: roomTypeSchema,
  /** The group's name, or the other person's name in a direct room. */
  room_name: z.string().nullable(),
  status: z.enum(["member", "left", "removed"]),
  joined_at: z.string(),
  left_at: z.string().nullable(),
  /** Who removed me, when I was removed. */
  removed_by: userSchema.nullable(),
});
export type MyMembership = z.infer<typeof myMembershipSchema>;
