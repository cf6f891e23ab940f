import { z } from "zod";

/** Version of the room document schema; stored in `meta.schemaVersion`. Bump on any change. */
export const ROOM_DOC_SCHEMA_VERSION = 1;

/** Size limits of what a message may hold. */
export const ROOM_DOC_LIMITS = {
  contentChars: 4000,
  mediaUrls: 10,
  mediaUrlChars: 2048,
  emojiChars: 32,
  labelChars: 200,
} as const;

export const messageTypeSchema = z.enum(["text", "image", "file", "location", "system"]);
export type MessageType = z.infer<typeof messageTypeSchema>;

export const locationSchema = z.object({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  label: z.string().max(ROOM_DOC_LIMITS.labelChars).optional(),
});
export type Location = z.infer<typeof locationSchema>;

export const systemEventSchema = z.object({
  kind: z.enum(["room_created", "member_added", "member_removed", "member_left", "member_joined", "room_renamed", "role_changed"]),
  actor_id: z.string(),
  target_id: z.string().optional(),
  name: z.string().optional(),
  role: z.string().optional(),
});
export type SystemEvent = z.infer<typeof systemEventSchema>;

/** The fields of one message as stored in its nested Y.Map under `messages`. */
export const storedMessageSchema = z.object({
  id: z.string(),
  sender_id: z.string(),
  type: messageTypeSchema,
  content: z.string().max(ROOM_DOC_LIMITS.contentChars).nullable(),
  media_urls: z.array(z.string().max(ROOM_DOC_LIMITS.mediaUrlChars)).max(ROOM_DOC_LIMITS.mediaUrls),
  location: locationSchema.nullable(),
  reply_to_id: z.string().nullable(),
  created_at: z.string(),
  edited_at: z.string().nullable(),
  deleted: z.boolean(),
  system_event: systemEventSchema.nullable(),
});
export type StoredMessage = z.infer<typeof storedMessageSchema>;

/** A message as listings show it: stored fields, its sequence number and its reactions. */
export type MessageView = StoredMessage & {
  /** Assigned by the server when it accepted the message; null while waiting to sync. */
  seq: number | null;
  /** emoji → user ids who reacted with it, sorted. */
  reactions: Record<string, string[]>;
};

/** One user's read marker: the last message they read, by sequence number. */
export const receiptSchema = z.object({
  message_id: z.string(),
  seq: z.number().int().nonnegative(),
  read_at: z.string(),
});
export type ReceiptView = z.infer<typeof receiptSchema>;
