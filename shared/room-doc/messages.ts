import * as Y from "yjs";
import { newId } from "../ids.ts";
import { RoomDocError } from "./errors.ts";
import { requireMessage, roomMaps } from "./maps.ts";
import { deleteReactionsOf } from "./reactions.ts";
import type { Attachment, Location, MessageType, SystemEvent } from "./schema.ts";
import { readStored } from "./stored-message.ts";
import { assertIsoTime, assertValidEdit, parseNewMessage } from "./validate.ts";

/** What a sender provides for a new message. */
export interface SendInput {
  /** Client-made UUIDv7, made once before the first attempt so every retry carries it; new when absent. */
  id?: string;
  sender_id: string;
  /** Default `text`. */
  type?: MessageType;
  content?: string | null;
  media_urls?: string[];
  /** Uploaded images and files (as POST /api/v1/media answered); each also gets its media url. */
  attachments?: Attachment[];
  location?: Location | null;
  reply_to_id?: string | null;
  /** The sender's clock, ISO-8601; default now. Shown, never used to order accepted messages. */
  created_at?: string;
  /** Only for `system` messages, which only the server writes. */
  system_event?: SystemEvent | null;
}

/**
 * Add a message. Idempotent by id: when the room already has it nothing changes and `created` is
 * false (the first write wins; a retry or replay's fields are ignored), so a send is stored once.
 * The nested map is filled before it is inserted, in one transaction, so every replica sees the
 * message whole or not at all.
 */
export function sendMessage(doc: Y.Doc, input: SendInput, origin?: unknown): { id: string; created: boolean } {
  const id = input.id ?? newId();
  const { messages } = roomMaps(doc);
  if (messages.has(id)) return { id, created: false };
  const message = parseNewMessage(doc, {
    id,
    sender_id: input.sender_id,
    type: input.type ?? "text",
    content: input.content ?? null,
    media_urls: input.media_urls ?? [],
    attachments: input.attachments ?? [],
    location: input.location ?? null,
    reply_to_id: input.reply_to_id ?? null,
    created_at: input.created_at ?? new Date().toISOString(),
    edited_at: null,
    deleted: false,
    system_event: input.system_event ?? null,
  });
  // A prelim map: its keys are integrated together with the insertion, in this one transaction.
  // No attachments, no key: a server process still on the previous release (a rolling upgrade)
  // knows no such field and would refuse every message that carried one, even empty.
  const entries = Object.entries(message).filter(([key, value]) => key !== "attachments" || (Array.isArray(value) && value.length > 0));
  const map = new Y.Map<unknown>(entries);
  doc.transact(() => messages.set(id, map), origin);
  return { id, created: true };
}

/** Replace the text of a message. Only its sender may; not once deleted; never a system message. */
export function editMessage(
  doc: Y.Doc,
  input: { message_id: string; actor_id: string; content: string; edited_at?: string },
  origin?: unknown,
): void {
  const map = requireMessage(doc, input.message_id);
  const current = readStored(input.message_id, map);
  if (current.type === "system") throw new RoomDocError("not_message_owner", "System messages are the server's; nobody edits them.");
  if (current.sender_id !== input.actor_id) throw new RoomDocError("not_message_owner", "Only the sender may edit a message.");
  if (current.deleted) throw new RoomDocError("message_deleted", "A deleted message cannot be edited.");
  assertValidEdit(current, input.content);
  const editedAt = input.edited_at ?? new Date().toISOString();
  assertIsoTime(editedAt, "edited_at");
  doc.transact(() => {
    map.set("content", input.content);
    map.set("edited_at", editedAt);
  }, origin);
}

/**
 * Delete a message: its sender may, and anyone when `may_moderate` (a room admin of a group, a
 * server admin; the caller decides). The message stays as a "deleted" line: `deleted` is set, its
 * content, media and location are cleared, its reactions removed, and `edited_at` records the
 * time of the deletion. Deleting a deleted message changes nothing.
 */
export function deleteMessage(
  doc: Y.Doc,
  input: { message_id: string; actor_id: string; may_moderate?: boolean; deleted_at?: string },
  origin?: unknown,
): void {
  const map = requireMessage(doc, input.message_id);
  const current = readStored(input.message_id, map);
  if (current.sender_id !== input.actor_id && input.may_moderate !== true) {
    throw new RoomDocError("not_message_owner", "Only the sender or a room admin may delete a message.");
  }
  if (current.deleted) return;
  const deletedAt = input.deleted_at ?? new Date().toISOString();
  assertIsoTime(deletedAt, "deleted_at");
  doc.transact(() => {
    // Separate keys, so a concurrent edit of `content` elsewhere cannot undo `deleted`.
    map.set("deleted", true);
    map.set("content", null);
    map.set("media_urls", []);
    // Messages written before attachments existed have no such key: nothing to clear.
    if (map.has("attachments")) map.set("attachments", []);
    map.set("location", null);
    map.set("edited_at", deletedAt);
    deleteReactionsOf(doc, input.message_id);
  }, origin);
}
