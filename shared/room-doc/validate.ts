import type * as Y from "yjs";
import { z } from "zod";
import { firstUnstorableText } from "../text/storable.ts";
import { RoomDocError } from "./errors.ts";
import { messageMap } from "./maps.ts";
import { newMessageSchema, ROOM_DOC_LIMITS, type StoredMessage } from "./schema.ts";
import { repliesReachEarlierSegments } from "./segments.ts";

const userIdSchema = z.uuid();
const isoTimeSchema = z.iso.datetime({ offset: true });

function assertNever(value: never): never {
  throw new Error(`unhandled message type ${JSON.stringify(value)}`);
}

/** What a message of this type must carry beyond the schema, or null when it has it. */
function missingFor(message: StoredMessage): string | null {
  const hasText = (message.content ?? "").trim().length > 0;
  switch (message.type) {
    case "text":
      return hasText ? null : "a text message needs non-empty content";
    case "image":
    case "file":
      return message.media_urls.length > 0 || message.attachments.length > 0
        ? null
        : `${message.type === "image" ? "an image" : "a file"} message needs at least one media url`;
    case "location":
      return message.location ? null : "a location message needs a location";
    case "system":
      return message.system_event && hasText ? null : "a system message needs a system_event and its text";
    default:
      return assertNever(message.type);
  }
}

/** Refuse text the database cannot hold, anywhere in what is written (see shared/text/storable.ts). */
function assertStorable(value: unknown): void {
  if (firstUnstorableText(value) !== null) {
    throw new RoomDocError("invalid_text", "Text may not contain NUL characters or broken Unicode (lone surrogates).");
  }
}

function assertContentLength(content: string | null): void {
  // Checked before the schema so that an over-long text gets its own code (413), not a generic one.
  if ((content?.length ?? 0) > ROOM_DOC_LIMITS.contentChars) {
    throw new RoomDocError("content_too_long", `A message holds at most ${ROOM_DOC_LIMITS.contentChars} characters.`);
  }
}

/**
 * Parse a new message: refuse one that breaks the schema, a limit, its type's needs or its reply
 * target (throws RoomDocError), and return it as the schema reads it (unknown keys dropped).
 */
export function parseNewMessage(doc: Y.Doc, message: StoredMessage): StoredMessage {
  assertStorable(message);
  assertContentLength(message.content);
  const parsed = newMessageSchema.safeParse(message);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RoomDocError("invalid_message", `${issue?.path.join(".") || "message"}: ${issue?.message ?? "invalid"}`);
  }
  if (message.type !== "system" && message.system_event !== null) {
    throw new RoomDocError("invalid_message", "Only system messages carry a system_event.");
  }
  const missing = missingFor(message);
  if (missing) throw new RoomDocError("invalid_message", missing);
  if (message.reply_to_id !== null && !messageMap(doc, message.reply_to_id) && !repliesReachEarlierSegments(doc)) {
    throw new RoomDocError("reply_target_missing", "The message replied to is not in this room.");
  }
  return parsed.data;
}

/**
 * Refuse new text for an existing message: over the limit, or leaving it without what its type
 * needs. Only the content is checked, so a message stored by an older, laxer writer stays editable.
 */
export function assertValidEdit(message: StoredMessage, content: string): void {
  assertStorable(content);
  assertContentLength(content);
  const missing = missingFor({ ...message, content });
  if (missing) throw new RoomDocError("invalid_message", missing);
}

/** Refuse an emoji the reactions key cannot hold: empty, over the limit, or containing its "|" separator. */
export function assertValidEmoji(emoji: string): void {
  assertStorable(emoji);
  if (emoji.length === 0 || emoji.length > ROOM_DOC_LIMITS.emojiChars || emoji.includes("|")) {
    throw new RoomDocError("invalid_message", `An emoji is 1–${ROOM_DOC_LIMITS.emojiChars} characters without "|".`);
  }
}

/** Refuse a user id that is not a uuid (it is part of keys, so it must never hold the "|" separator). */
export function assertUserId(userId: string, field: string): void {
  if (!userIdSchema.safeParse(userId).success) throw new RoomDocError("invalid_message", `${field}: must be a uuid`);
}

/** Refuse a time that is not ISO-8601 (the server mirrors times into timestamptz columns). */
export function assertIsoTime(value: string, field: string): void {
  if (!isoTimeSchema.safeParse(value).success) throw new RoomDocError("invalid_message", `${field}: must be an ISO-8601 time`);
}
