import { LinkifyIt } from "linkify-it";
import type { ReactNode } from "react";

/** A piece of message text: plain, or a link with the address it opens. */
export type TextPart = { kind: "text"; text: string } | { kind: "link"; text: string; href: string };

const links = new LinkifyIt({ fuzzyLink: true, fuzzyEmail: true, fuzzyIP: false });
// Only schemes that open a page, a mail or a call; javascript:, data: and the like stay text.
const SAFE_SCHEMES = /^(https?:|mailto:|tel:)/i;
// International or local phone numbers: 7 to 15 digits, spaces, dots, dashes and brackets between.
const PHONE = /(?<![\p{L}\p{N}+])\+?\d(?:[\s().-]?\d){6,14}(?![\p{L}\p{N}])/gu;
const DATE = /^(\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})$/;

/**
 * Split `text` into plain parts and links (web addresses, emails, phone numbers), for rendering
 * as React text and anchors: nothing here ever becomes HTML.
 */
export function linkParts(text: string): TextPart[] {
  const found: Array<{ index: number; end: number; href: string }> = [];
  for (const match of links.match(text) ?? []) {
    if (SAFE_SCHEMES.test(match.url)) found.push({ index: match.index, end: match.lastIndex, href: match.url });
  }
  for (const match of text.matchAll(PHONE)) {
    const index = match.index ?? 0;
    const end = index + match[0].length;
    // A number inside a link (a date in a URL, an id) belongs to the link; a date is no number to call.
    if (found.some((f) => index < f.end && end > f.index) || DATE.test(match[0])) continue;
    found.push({ index, end, href: `tel:${match[0].replace(/[^\d+]/g, "")}` });
  }
  found.sort((a, b) => a.index - b.index);
  const parts: TextPart[] = [];
  let at = 0;
  for (const f of found) {
    if (f.index > at) parts.push({ kind: "text", text: text.slice(at, f.index) });
    parts.push({ kind: "link", text: text.slice(f.index, f.end), href: f.href });
    at = f.end;
  }
  if (at < text.length) parts.push({ kind: "text", text: text.slice(at) });
  return parts;
}

/** Message text with its links clickable, opening in a new tab that cannot reach back to this one. */
export function LinkedText({ text, highlight }: { text: string; highlight?: (text: string) => ReactNode }) {
  const show = highlight ?? ((t: string) => t);
  return (
    <>
      {linkParts(text).map((part, i) =>
        part.kind === "text" ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one text, in order, never reordered
          <span key={i}>{show(part.text)}</span>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: as above
          <a key={i} href={part.href} target="_blank" rel="noopener noreferrer">
            {show(part.text)}
          </a>
        ),
      )}
    </>
  );
}
