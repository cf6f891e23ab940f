import { z } from "zod";
import { isUuidV7 } from "../ids.ts";
import { attachmentSchema, ROOM_DOC_LIMITS } from "../room-doc/schema.ts";
import { text } from "./text.ts";

/** POST /api/v1/chat/messages/{room_id} (the seed's MessageCreate plus an optional UUIDv7 id). */
export const messageCreateSchema = z.strictObject({
  /** Made by the client before the first attempt, so a retry is stored once. */
  id: z.uuid().refine(isUuidV7, "must be a UUIDv7").optional(),
  content: text().max(4000).nullable().optional(),
  message_type: z.enum(["text", "image", "file", "location"]).default("text"),
  media_urls: z.array(text().max(2048)).max(10).nullable().optional(),
  /** Uploads (POST /api/v1/media) this message carries; the server fills in what each is. */
  attachment_ids: z.array(z.uuid()).max(ROOM_DOC_LIMITS.attachments).optional(),
  location: z
    .strictObject({
      latitude: z.number().min(-90).max(90),
      longitude: z.number().min(-180).max(180),
      label: text().max(200).optional(),
    })
    .nullable()
    .optional(),
  reply_to_id: z.uuid().nullable().optional(),
  created_at: z.iso.datetime({ offset: true }).optional(),
});
export type MessageCreate = z.infer<typeof messageCreateSchema>;

/** PUT /api/v1/chat/messages/{message_id} */
export const messageEditSchema = z.strictObject({ content: text().min(1).max(4000) });

/** POST /api/v1/chat/messages/{message_id}/reactions */
export const reactionCreateSchema = z.strictObject({ emoji: text().min(1).max(32) });

/** The seed's MessageResponse, plus the server-assigned sequence number and reactions. */
export const messageResponseSchema = z.object({
  id: z.string(),
  room_id: z.string(),
  seq: z.number().int().nullable(),
  sender_id: z.string(),
  sender_name: z.string().nullable(),
  sender_avatar: z.string().nullable(),
  message_type: z.enum(["text", "image", "file", "location", "system"]),
  content: z.string().nullable(),
  media_urls: z.array(z.string()),
  attachments: z.array(attachmentSchema),
  location: z.object({ latitude: z.number(), longitude: z.number(), label: z.string().optional() }).nullable(),
  reply_to_id: z.string().nullable(),
  created_at: z.string(),
  edited_at: z.string().nullable(),
  is_deleted: z.boolean(),
  reactions: z.record(z.string(), z.array(z.string())),
  read_by: z.array(z.object({ user_id: z.string(), read_at: z.string() })),
});
export type MessageResponse = z.infer<typeof messageResponseSchema>;
