import type * as Y from "yjs";
import { z } from "zod";
import { attachmentSchema, locationSchema, messageTypeSchema, type StoredMessage, systemEventSchema } from "./schema.ts";

const stringOrNull = (value: unknown): string | null => (typeof value === "string" ? value : null);

// Made once: the server reads a message several times per accepted change (mirror, events, push).
const attachmentsSchema = z.array(attachmentSchema);
const messageTypeOrText = messageTypeSchema.catch("text");
const locationOrNull = locationSchema.nullable();
const systemEventOrNull = systemEventSchema.nullable();
const messageTypes = new Set<unknown>(messageTypeSchema.options);

/** `schema`'s verdict on `value`, without asking it when the value is the field's usual empty one. */
function parsedOr<T>(value: unknown, empty: T, schema: z.ZodType<T>): { success: boolean; data?: T } {
  if (value === null || value === undefined || (Array.isArray(value) && value.length === 0 && Array.isArray(empty))) {
    return { success: true, data: empty };
  }
  return schema.safeParse(value);
}

/**
 * Decode the nested map of one message. Reads never throw: a map written by an older or buggy
 * client, or one whose keys arrived only in part, still lists, with each bad field as its default.
 */
export function readStored(id: string, map: Y.Map<unknown>): StoredMessage {
  // A delete concurrent with an edit can leave the edit's text as the winning `content` value;
  // a deleted message shows nothing whatever the map still holds.
  const deleted = map.get("deleted") === true;
  const media = map.get("media_urls");
  const attachments = parsedOr(map.get("attachments"), [] as StoredMessage["attachments"], attachmentsSchema);
  const location = parsedOr(map.get("location"), null, locationOrNull);
  const systemEvent = parsedOr(map.get("system_event"), null, systemEventOrNull);
  const type = map.get("type");
  return {
    id,
    sender_id: stringOrNull(map.get("sender_id")) ?? "",
    type: messageTypes.has(type) ? (type as StoredMessage["type"]) : messageTypeOrText.parse(type),
    content: deleted ? null : stringOrNull(map.get("content")),
    media_urls: !deleted && Array.isArray(media) ? media.filter((url): url is string => typeof url === "string") : [],
    attachments: !deleted && attachments.success ? (attachments.data ?? []) : [],
    location: !deleted && location.success ? (location.data ?? null) : null,
    reply_to_id: stringOrNull(map.get("reply_to_id")),
    created_at: stringOrNull(map.get("created_at")) ?? "",
    edited_at: stringOrNull(map.get("edited_at")),
    deleted,
    system_event: systemEvent.success ? (systemEvent.data ?? null) : null,
  };
}
