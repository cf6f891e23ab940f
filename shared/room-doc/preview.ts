import type { StoredMessage } from "./schema.ts";

/**
 * What a room list shows for a message without text: "📷 Photo", "📷 3 photos", "📎 plan.pdf",
 * "📍 Harbour gate". Null for a message with text (its text is the preview) or nothing to say.
 */
export function labelWithoutText(message: Pick<StoredMessage, "type" | "content" | "attachments" | "location">): string | null {
  if ((message.content ?? "").trim().length > 0) return null;
  const images = message.attachments.filter((a) => a.kind === "image").length;
  const files = message.attachments.filter((a) => a.kind === "file");
  if (files.length === 1 && images === 0) return `📎 ${files[0]?.name}`;
  if (files.length > 0) return `📎 ${message.attachments.length} files`;
  if (images > 1) return `📷 ${images} photos`;
  if (images === 1 || message.type === "image") return "📷 Photo";
  if (message.type === "file") return "📎 File";
  if (message.type === "location") return `📍 ${message.location?.label ?? "Location"}`;
  return null;
}
