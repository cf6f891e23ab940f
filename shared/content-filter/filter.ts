import { LinkifyIt } from "linkify-it";
import type { ContentFilterMode, ContentFilterRules } from "./rules.ts";

/** The outcome of filtering one text: the text to store (masked or as written), or why not. */
export type FilterVerdict =
  | { ok: true; text: string; masked: boolean }
  | { ok: false; code: "content_blocked" | "link_blocked"; message: string };

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The content filter, the same code on the server (which enforces it on every write path) and in
 * the app (which masks before sending, so an honest client is never refused in a masking room).
 * Pure and synchronous; build one per rule set and reuse it.
 */
export class ContentFilter {
  /** Matches any filtered word or pattern; null when the list is empty. */
  private readonly matcher: RegExp | null;
  private readonly blockedDomains: Set<string>;
  private readonly links: LinkifyIt;

  constructor(readonly rules: ContentFilterRules) {
    const sources = [
      // Whole words only: "ass" must not mask "class". Letters and digits of any script count.
      ...rules.words.map((w) => `(?<![\\p{L}\\p{N}])${escapeRegExp(w)}(?![\\p{L}\\p{N}])`),
      ...rules.patterns.map((p) => `(?:${p})`),
    ];
    this.matcher = sources.length > 0 ? new RegExp(sources.join("|"), "giu") : null;
    this.blockedDomains = new Set(rules.blocked_domains);
    // Schemeless links ("evil.example") are only found for known top-level domains: teach it ours.
    const tlds = [...new Set(rules.blocked_domains.map((d) => d.slice(d.lastIndexOf(".") + 1)))];
    this.links = new LinkifyIt({ fuzzyLink: true, fuzzyIP: true, fuzzyEmail: false });
    if (tlds.length > 0) this.links.tlds(tlds, true);
  }

  /** Whether any rule exists; a room with an empty filter needs no lookups. */
  get active(): boolean {
    return this.matcher !== null || this.blockedDomains.size > 0;
  }

  /** The first link in `text` to a blocked domain (or a subdomain of one), or null. */
  blockedLink(text: string): string | null {
    if (this.blockedDomains.size === 0) return null;
    for (const match of this.links.match(text) ?? []) {
      const host = hostOf(match.url);
      if (host && this.isBlockedHost(host)) return host;
    }
    return null;
  }

  /** Whether `text` contains a filtered word or pattern. */
  hasFiltered(text: string): boolean {
    if (!this.matcher) return false;
    this.matcher.lastIndex = 0;
    return this.matcher.test(text);
  }

  /** `text` with every filtered word or pattern replaced by as many asterisks as it has characters. */
  mask(text: string): string {
    if (!this.matcher) return text;
    return text.replace(this.matcher, (found) => "*".repeat([...found].length));
  }

  /** Judge a text for a room in `mode`: links first (refused in every mode), then words. */
  judge(text: string, mode: ContentFilterMode): FilterVerdict {
    const host = this.blockedLink(text);
    if (host) return { ok: false, code: "link_blocked", message: `Links to ${host} are not allowed.` };
    if (!this.hasFiltered(text)) return { ok: true, text, masked: false };
    if (mode === "mask") return { ok: true, text: this.mask(text), masked: true };
    return { ok: false, code: "content_blocked", message: "The message contains words this room does not allow." };
  }

  /**
   * What the server requires of a text a client wrote itself (over the WebSocket): no blocked
   * link, and nothing filtered left, in either mode. An honest app masks before sending.
   */
  judgeWritten(text: string, mode: ContentFilterMode): FilterVerdict {
    const verdict = this.judge(text, mode);
    if (verdict.ok && verdict.masked) {
      return { ok: false, code: "content_blocked", message: "The message contains filtered words; this room masks them before sending." };
    }
    return verdict;
  }

  private isBlockedHost(host: string): boolean {
    const labels = host.toLowerCase().replace(/\.$/, "").split(".");
    for (let i = 0; i < labels.length - 1; i++) if (this.blockedDomains.has(labels.slice(i).join("."))) return true;
    return false;
  }
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
}
