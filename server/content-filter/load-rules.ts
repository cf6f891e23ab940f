import fs from "node:fs";
import { type ContentFilterRules, contentFilterRulesSchema } from "../../shared/content-filter/index.ts";
import type { Config } from "../config.ts";

const list = (value: string | undefined) =>
  (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/**
 * The filter rules from CONTENT_FILTER_FILE plus the comma lists CONTENT_FILTER_WORDS and
 * BLOCKED_LINK_DOMAINS. A rule that does not parse (a bad regular expression, a malformed domain)
 * stops the start with a message naming it, rather than filtering less than the operator thinks.
 */
export function loadContentFilterRules(config: Config): ContentFilterRules {
  let fromFile: Record<string, unknown> = {};
  if (config.CONTENT_FILTER_FILE) {
    try {
      fromFile = JSON.parse(fs.readFileSync(config.CONTENT_FILTER_FILE, "utf8")) as Record<string, unknown>;
    } catch (error) {
      throw new Error(`CONTENT_FILTER_FILE ${config.CONTENT_FILTER_FILE}: ${(error as Error).message}`);
    }
  }
  const arrayOf = (key: string) => (Array.isArray(fromFile[key]) ? (fromFile[key] as unknown[]) : []);
  const parsed = contentFilterRulesSchema.safeParse({
    ...fromFile,
    words: [...arrayOf("words"), ...list(config.CONTENT_FILTER_WORDS)],
    patterns: arrayOf("patterns"),
    blocked_domains: [...arrayOf("blocked_domains"), ...list(config.BLOCKED_LINK_DOMAINS)],
    default_mode: config.CONTENT_FILTER_MODE ?? fromFile.default_mode,
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid content filter: ${problems.join("; ")}`);
  }
  return parsed.data;
}
