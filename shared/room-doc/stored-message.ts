import type * as Y from "yjs";
import { z } from "zod";
import { attachmentSchema, locationSchema, messageTypeSchema, type StoredMessage, systemEventSchema } from "./schema.ts";

const stringOrNull = (value: unknown): string | null => (typeof value === "string" ? value : null);

/**
 * Decode the nested map of one message. Reads never throw: a map written by an older or buggy
 * client, or one whose keys arrived only in part, still lists, with each bad field as its default.
 */
export function readStored(id: string, map: Y.Map<unknown>): StoredMessage {
  // A delete concurrent with an edit can leave the edit's text as the winning `content` value;
  // a deleted message shows nothing whatever the map still holds.
  const deleted = map.get("deleted") === true;
  const media = map.get("media_urls");
  const attachments = z.array(attachmentSchema).safeParse(map.get("attachments") ?? []);
  const location = locationSchema.nullable().safeParse(map.get("location") ?? null);
  const systemEvent = systemEventSchema.nullable().safeParse(map.get("system_event") ?? null);
  return {
    id,
    sender_id: stringOrNull(map.get("sender_id")) ?? "",
    type: messageTypeSchema.catch("text").parse(map.get("type")),
    content: deleted ? null : stringOrNull(map.get("content")),
    media_urls: !deleted && Array.isArray(media) ? media.filter((url): url is string => typeof url === "string") : [],
    attachments: !deleted && attachments.success ? attachments.data : [],
    location: !deleted && location.success ? location.data : null,
    reply_to_id: stringOrNull(map.get("reply_to_id")),
    created_at: stringOrNull(map.get("created_at")) ?? "",
    edited_at: stringOrNull(map.get("edited_at")),
    deleted,
    system_event: systemEvent.success ? systemEvent.data : null,
  };
}
