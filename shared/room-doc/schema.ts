import { z } from "zod";
import { isUuidV7 } from "../ids.ts";

/**
 * Version of the room document schema, stored in `meta.schemaVersion`. Bump it (and write a
 * migration) whenever stored documents or old clients could not read the new shape.
 */
export const ROOM_DOC_SCHEMA_VERSION = 1;

/** Size limits of what a message and a reaction may hold (the REST schemas use the same numbers). */
export const ROOM_DOC_LIMITS = {
  contentChars: 4000,
  mediaUrls: 10,
  mediaUrlChars: 2048,
  emojiChars: 32,
  labelChars: 200,
  /** Attachments of one message (images and files uploaded through /api/v1/media). */
  attachments: 10,
  attachmentNameChars: 255,
} as const;

/**
 * One uploaded image or file a message carries, as the upload answered (the server checks each
 * against what was uploaded): its dimensions are known before the bytes load.
 */
export const attachmentSchema = z.strictObject({
  id: z.uuid(),
  kind: z.enum(["image", "file"]),
  name: z.string().min(1).max(ROOM_DOC_LIMITS.attachmentNameChars),
  mime: z.string().min(1).max(127),
  size: z.number().int().nonnegative(),
  width: z.number().int().positive().nullable(),
  height: z.number().int().positive().nullable(),
});
export type Attachment = z.infer<typeof attachmentSchema>;

/** What a message is; `system` lines are written by the server only. */
export const messageTypeSchema = z.enum(["text", "image", "file", "location", "system"]);
export type MessageType = z.infer<typeof messageTypeSchema>;

/** A shared place: coordinates and an optional label. */
export const locationSchema = z.object({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  label: z.string().max(ROOM_DOC_LIMITS.labelChars).optional(),
});
export type Location = z.infer<typeof locationSchema>;

/** What a system message records, so clients can render it in their own words. */
export const systemEventSchema = z.object({
  kind: z.enum(["room_created", "member_added", "member_removed", "member_left", "member_joined", "room_renamed", "role_changed"]),
  actor_id: z.string(),
  target_id: z.string().optional(),
  name: z.string().optional(),
  role: z.string().optional(),
});
export type SystemEvent = z.infer<typeof systemEventSchema>;

/**
 * The fields of one message: the keys of its nested Y.Map under `messages`. This is the stored
 * contract (fingerprinted by test/unit/schema-version.test.ts); stricter rules for new messages
 * are in `newMessageSchema`.
 */
export const storedMessageSchema = z.object({
  id: z.string(),
  sender_id: z.string(),
  type: messageTypeSchema,
  content: z.string().max(ROOM_DOC_LIMITS.contentChars).nullable(),
  media_urls: z.array(z.string().max(ROOM_DOC_LIMITS.mediaUrlChars)).max(ROOM_DOC_LIMITS.mediaUrls),
  /** Absent on messages without attachments (and on every message written before they existed); read as []. */
  attachments: z.array(attachmentSchema).max(ROOM_DOC_LIMITS.attachments),
  location: locationSchema.nullable(),
  reply_to_id: z.string().nullable(),
  created_at: z.string(),
  edited_at: z.string().nullable(),
  deleted: z.boolean(),
  system_event: systemEventSchema.nullable(),
});
export type StoredMessage = z.infer<typeof storedMessageSchema>;

/**
 * What a write must satisfy on top of the stored shape: a client-made UUIDv7 id (so retries
 * dedupe and ids sort by creation), uuid user ids, ISO-8601 times.
 */
export const newMessageSchema = storedMessageSchema.extend({
  id: z.string().refine(isUuidV7, "must be a UUIDv7"),
  sender_id: z.uuid(),
  reply_to_id: z.uuid().nullable(),
  created_at: z.iso.datetime({ offset: true }),
  edited_at: z.iso.datetime({ offset: true }).nullable(),
});

/** A message as reads return it: the stored fields, its sequence number and its reactions. */
export const messageViewSchema = storedMessageSchema.extend({
  /** Assigned by the server when it first accepted the message; null while not yet accepted. */
  seq: z.number().int().positive().nullable(),
  /** emoji → ids of the users who reacted with it, sorted. */
  reactions: z.record(z.string(), z.array(z.string())),
});
export type MessageView = z.infer<typeof messageViewSchema>;

/** One user's read marker: everything up to `seq` is read. The value under `receipts[userId]`. */
export const receiptSchema = z.object({
  message_id: z.string(),
  seq: z.number().int().nonnegative(),
  read_at: z.string(),
});
export type ReceiptView = z.infer<typeof receiptSchema>;
