import { z } from "zod";
import { isUuidV7 } from "../ids.ts";
import { attachmentSchema, ROOM_DOC_LIMITS } from "../room-doc/schema.ts";
import { text } from "./text.ts";

/**
 * POST /api/v1/media?room_id=&name=[&id=]: the body is the file's bytes (any Content-Type; the
 * server sniffs the real type from them). `id`, made by the client before the first attempt,
 * makes a retried upload answer the first one instead of storing the file twice.
 */
export const mediaUploadQuerySchema = z.strictObject({
  room_id: z.uuid(),
  name: text().trim().min(1).max(ROOM_DOC_LIMITS.attachmentNameChars),
  id: z.uuid().refine(isUuidV7, "must be a UUIDv7").optional(),
});
export type MediaUploadQuery = z.infer<typeof mediaUploadQuerySchema>;

/** What an upload answers: the attachment to put on a message as is, and where to read it. */
export const mediaResponseSchema = attachmentSchema.extend({
  room_id: z.uuid(),
  url: z.string(),
  /** Images only: a WebP of at most 320 × 320 px; null for files. */
  thumbnail_url: z.string().nullable(),
  created_at: z.string(),
});
export type MediaResponse = z.infer<typeof mediaResponseSchema>;

/** Where an upload's bytes are read (with the session token, by members of its room). */
export const mediaPath = (id: string): string => `/api/v1/media/${id}`;
export const thumbnailPath = (id: string): string => `/api/v1/media/${id}/thumbnail`;
