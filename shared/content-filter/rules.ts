import { z } from "zod";

/**
 * What a room does with a message that contains a filtered word or pattern: `refuse` it (the
 * sender sees `content_blocked`) or `mask` the match with asterisks. Links to blocked domains are
 * refused in either mode (`link_blocked`).
 */
export const contentFilterModeSchema = z.enum(["refuse", "mask"]);
export type ContentFilterMode = z.infer<typeof contentFilterModeSchema>;

/**
 * The server's filter list (GET /api/v1/content-filter), the same for every room. Words match
 * whole words, case-insensitively; patterns are JavaScript regular expressions (flags `giu`);
 * a blocked domain also blocks its subdomains.
 */
export const contentFilterRulesSchema = z.strictObject({
  words: z.array(z.string().trim().min(1).max(100)).max(10_000).default([]),
  patterns: z
    .array(
      z
        .string()
        .min(1)
        .max(500)
        .refine((source) => isRegExp(source), "must be a valid regular expression"),
    )
    .max(1000)
    .default([]),
  blocked_domains: z
    .array(
      z
        .string()
        .trim()
        .toLowerCase()
        .regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, "must be a domain name such as example.com"),
    )
    .max(10_000)
    .default([]),
  /** The mode of rooms whose admins chose none (direct rooms always use it). */
  default_mode: contentFilterModeSchema.default("mask"),
});
export type ContentFilterRules = z.infer<typeof contentFilterRulesSchema>;

function isRegExp(source: string): boolean {
  try {
    new RegExp(source, "giu");
    return true;
  } catch {
    return false;
  }
}

/** No words, patterns or domains: nothing is filtered. */
export const NO_CONTENT_FILTER: ContentFilterRules = { words: [], patterns: [], blocked_domains: [], default_mode: "mask" };
