import { z } from "zod";
import { roomTypeSchema } from "./rooms.ts";
import { text } from "./text.ts";

/** GET /api/v1/chat/messages/search: words to find, in one room (room_id) or in all of mine. */
export const messageSearchQuerySchema = z.strictObject({
  q: text().trim().min(1).max(200),
  room_id: z.uuid().optional(),
  before: text().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});
export type MessageSearchQuery = z.infer<typeof messageSearchQuerySchema>;

/** One message that matched, with where it is, to show it and jump to it in its room. */
export const messageSearchResultSchema = z.object({
  message_id: z.string(),
  room_id: z.string(),
  room_type: roomTypeSchema,
  /** The group's name, or the other person's name in a direct room. */
  room_name: z.string().nullable(),
  seq: z.number().int(),
  sender_id: z.string(),
  sender_name: z.string().nullable(),
  content: z.string(),
  created_at: z.string(),
});
export type MessageSearchResult = z.infer<typeof messageSearchResultSchema>;

/** How many words of a query count; more are ignored. */
export const SEARCH_MAX_WORDS = 10;

/**
 * The words of a search, as both sides split them: runs of letters and digits of any script,
 * lowercased. Each matches a word of a message that starts with it ("run" finds "running").
 */
export function searchWords(q: string): string[] {
  return [...new Set((q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, SEARCH_MAX_WORDS))];
}
