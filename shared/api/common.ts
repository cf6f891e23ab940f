import { z } from "zod";
import { text } from "./text.ts";

/** Version of the REST API; bump when a payload changes incompatibly (a test pins the schemas). */
export const API_VERSION = 1;

/** A user as every response shows them. */
export const userSchema = z.object({
  id: z.uuid(),
  username: z.string(),
  display_name: z.string().nullable(),
  avatar_url: z.string().nullable(),
});
export type User = z.infer<typeof userSchema>;

/** Every list route answers `{ items, next_cursor }`; pass `next_cursor` back as `before`. */
export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() });
}
export type ListEnvelope<T> = { items: T[]; next_cursor: string | null };

/** `?before=&limit=` of every list route. */
export const pageQuerySchema = z.strictObject({
  before: text().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const uuidParam = z.uuid({ message: "must be a UUID" });
