import type { PushKind } from "../../shared/api/push.ts";
import type { AcceptedMessage } from "../sync/room-writer.ts";
import { mentions } from "./mentions.ts";

// A preview is one line on a lock screen; the push payload must also stay far below 4 KB.
const PREVIEW_CHARS = 140;

/** A room member who might be notified, with what they chose. */
export interface RoomRecipient {
  user_id: string;
  username: string;
  is_muted: boolean;
  messages: boolean;
  mentions: boolean;
  /** Senders of these messages whom the recipient blocked: their messages never notify. */
  blocked_sender_ids: string[];
}

/** What one recipient's pending notification for the room gains from these messages. */
export interface RoomNotification {
  kind: Extract<PushKind, "message" | "mention">;
  count: number;
  sender_id: string;
  preview: string;
}

/** One line for a message, whatever its type. */
export function previewOf(message: Pick<AcceptedMessage, "type" | "content">): string {
  const label =
    message.type === "image" ? "📷 Photo" : message.type === "file" ? "📎 File" : message.type === "location" ? "📍 Location" : "";
  const text = (message.content ?? "").replace(/\s+/g, " ").trim();
  const line = label && text ? `${label}: ${text}` : label || text;
  return line.length > PREVIEW_CHARS ? `${line.slice(0, PREVIEW_CHARS - 1)}…` : line;
}

/**
 * Whether and how newly accepted messages notify `recipient`. Their own messages and those of
 * people they blocked never do. A mention of them is a "mention", sent even in a room they muted
 * (muting silences the room's chatter, not someone calling you by name) unless they turned
 * mentions off; otherwise an unmuted room's messages are a "message" unless they turned those off.
 * In a muted room only the mentions are counted.
 */
export function roomNotificationFor(recipient: RoomRecipient, accepted: AcceptedMessage[]): RoomNotification | null {
  const blocked = new Set(recipient.blocked_sender_ids);
  const others = accepted.filter(
    (m) => m.type !== "system" && !m.deleted && m.sender_id !== recipient.user_id && !blocked.has(m.sender_id),
  );
  const mentioning = recipient.mentions ? others.filter((m) => mentions(m.content, recipient.username)) : [];
  const latestMention = mentioning.at(-1);
  if (latestMention) {
    const count = recipient.is_muted || !recipient.messages ? mentioning.length : others.length;
    return { kind: "mention", count, sender_id: latestMention.sender_id, preview: previewOf(latestMention) };
  }
  const latest = others.at(-1);
  if (!latest || recipient.is_muted || !recipient.messages) return null;
  return { kind: "message", count: others.length, sender_id: latest.sender_id, preview: previewOf(latest) };
}
