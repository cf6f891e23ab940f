import * as Y from "yjs";
import { reactionKey, readStored, roomMaps } from "./access.ts";
import { RoomDocError } from "./errors.ts";
import { type Location, ROOM_DOC_LIMITS, type StoredMessage, type SystemEvent, storedMessageSchema } from "./schema.ts";

/** What a sender provides for a new message; the id is client-made (UUIDv7) so a retry dedupes. */
export interface SendInput {
  id: string;
  sender_id: string;
  type?: StoredMessage["type"];
  content?: string | null;
  media_urls?: string[];
  location?: Location | null;
  reply_to_id?: string | null;
  created_at?: string;
  system_event?: SystemEvent | null;
}

function messageMap(doc: Y.Doc, id: string): Y.Map<unknown> {
  const map = roomMaps(doc).messages.get(id);
  if (!map) throw new RoomDocError("message_not_found", `No message ${id} in this room.`);
  return map;
}

function assertValid(message: StoredMessage, doc: Y.Doc): void {
  if ((message.content?.length ?? 0) > ROOM_DOC_LIMITS.contentChars) {
    throw new RoomDocError("content_too_long", `A message holds at most ${ROOM_DOC_LIMITS.contentChars} characters.`);
  }
  const parsed = storedMessageSchema.safeParse(message);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RoomDocError("invalid_message", `${issue?.path.join(".") ?? "message"}: ${issue?.message ?? "invalid"}`);
  }
  const needs: Record<StoredMessage["type"], string | null> = {
    text: message.content && message.content.trim().length > 0 ? null : "a text message needs content",
    image: message.media_urls.length > 0 ? null : "an image message needs a media url",
    file: message.media_urls.length > 0 ? null : "a file message needs a media url",
    location: message.location ? null : "a location message needs a location",
    system: message.content ? null : "a system message needs content",
  };
  const problem = needs[message.type];
  if (problem) throw new RoomDocError("invalid_message", problem);
  if (message.reply_to_id && !roomMaps(doc).messages.has(message.reply_to_id)) {
    throw new RoomDocError("reply_target_missing", "The message replied to is not in this room.");
  }
}

/**
 * Add a message. Idempotent by id: if the room already has it, nothing changes and `created` is
 * false, so a retried or replayed send is stored once. The nested map is filled before it is
 * inserted, so every replica sees the message whole or not at all.
 */
export function sendMessage(doc: Y.Doc, input: SendInput, origin?: unknown): { id: string; created: boolean } {
  const { messages } = roomMaps(doc);
  if (messages.has(input.id)) return { id: input.id, created: false };
  const message: StoredMessage = {
    id: input.id,
    sender_id: input.sender_id,
    type: input.type ?? "text",
    content: input.content ?? null,
    media_urls: input.media_urls ?? [],
    location: input.location ?? null,
    reply_to_id: input.reply_to_id ?? null,
    created_at: input.created_at ?? new Date().toISOString(),
    edited_at: null,
    deleted: false,
    system_event: input.system_event ?? null,
  };
  assertValid(message, doc);
  const map = new Y.Map<unknown>(Object.entries(message));
  doc.transact(() => messages.set(input.id, map), origin);
  return { id: input.id, created: true };
}

/** Change the text of my own message. */
export function editMessage(
  doc: Y.Doc,
  input: { message_id: string; actor_id: string; content: string; edited_at?: string },
  origin?: unknown,
): void {
  const map = messageMap(doc, input.message_id);
  const current = readStored(input.message_id, map);
  if (current.sender_id !== input.actor_id) throw new RoomDocError("not_message_owner", "Only the sender may edit a message.");
  if (current.deleted) throw new RoomDocError("message_deleted", "A deleted message cannot be edited.");
  if (current.type === "system") throw new RoomDocError("not_message_owner", "System messages cannot be edited.");
  assertValid({ ...current, content: input.content }, doc);
  doc.transact(() => {
    map.set("content", input.content);
    map.set("edited_at", input.edited_at ?? new Date().toISOString());
  }, origin);
}

/**
 * Delete a message: the sender, or a moderator (`may_moderate`: room admin, server admin). Its
 * text, media and reactions are removed; the message stays as a "deleted" line. Deleting twice is
 * a no-op.
 */
export function deleteMessage(
  doc: Y.Doc,
  input: { message_id: string; actor_id: string; may_moderate?: boolean; deleted_at?: string },
  origin?: unknown,
): void {
  const map = messageMap(doc, input.message_id);
  const current = readStored(input.message_id, map);
  if (current.sender_id !== input.actor_id && !input.may_moderate) {
    throw new RoomDocError("not_message_owner", "Only the sender or a moderator may delete a message.");
  }
  if (current.deleted) return;
  const { reactions } = roomMaps(doc);
  doc.transact(() => {
    map.set("deleted", true);
    map.set("content", null);
    map.set("media_urls", []);
    map.set("location", null);
    for (const key of [...reactions.keys()]) if (key.startsWith(`${input.message_id}|`)) reactions.delete(key);
  }, origin);
}

function assertReactable(doc: Y.Doc, messageId: string, emoji: string): void {
  const current = readStored(messageId, messageMap(doc, messageId));
  if (current.deleted) throw new RoomDocError("message_deleted", "A deleted message cannot get reactions.");
  if (emoji.length === 0 || emoji.length > ROOM_DOC_LIMITS.emojiChars || emoji.includes("|")) {
    throw new RoomDocError("invalid_message", "An emoji is 1–32 characters without '|'.");
  }
}

/** React to a message; adding the same reaction again changes nothing. */
export function addReaction(
  doc: Y.Doc,
  input: { message_id: string; user_id: string; emoji: string; at?: string },
  origin?: unknown,
): void {
  assertReactable(doc, input.message_id, input.emoji);
  const { reactions } = roomMaps(doc);
  const key = reactionKey(input.message_id, input.emoji, input.user_id);
  if (reactions.has(key)) return;
  doc.transact(() => reactions.set(key, input.at ?? new Date().toISOString()), origin);
}

/** Take my reaction back; removing one that is not there changes nothing. */
export function removeReaction(doc: Y.Doc, input: { message_id: string; user_id: string; emoji: string }, origin?: unknown): void {
  messageMap(doc, input.message_id);
  const { reactions } = roomMaps(doc);
  const key = reactionKey(input.message_id, input.emoji, input.user_id);
  if (reactions.has(key)) doc.transact(() => reactions.delete(key), origin);
}

/**
 * Move my read marker to a message. Forward only: a marker at or past it stays, and the function
 * returns false. The message must be accepted (have a sequence number).
 */
export function markRead(doc: Y.Doc, input: { user_id: string; message_id: string; read_at?: string }, origin?: unknown): boolean {
  messageMap(doc, input.message_id);
  const { seq, receipts } = roomMaps(doc);
  const target = seq.get(input.message_id);
  if (target === undefined) throw new RoomDocError("message_not_accepted", "The message is not saved on the server yet.");
  const current = receipts.get(input.user_id);
  if (current && current.seq >= target) return false;
  doc.transact(
    () =>
      receipts.set(input.user_id, {
        message_id: input.message_id,
        seq: target,
        read_at: input.read_at ?? new Date().toISOString(),
      }),
    origin,
  );
  return true;
}

/** The sequence number the server gives the next accepted message. */
export function nextSequenceNumber(doc: Y.Doc): number {
  let max = 0;
  for (const n of roomMaps(doc).seq.values()) if (n > max) max = n;
  return max + 1;
}

/**
 * Server only: give every message without a sequence number the next ones, in (created_at, id)
 * order. `candidates` limits the search to those ids (the messages a change just touched), which
 * keeps the hot path O(change); without it the whole room is scanned (after a load). Returns what
 * it assigned; makes no change (and so no update) when there is nothing to do.
 */
export function assignSequenceNumbers(doc: Y.Doc, origin?: unknown, candidates?: Iterable<string>): Array<{ id: string; seq: number }> {
  const { messages, seq } = roomMaps(doc);
  const pending: Array<{ id: string; created_at: string }> = [];
  const ids = candidates ?? messages.keys();
  for (const id of ids) {
    const map = messages.get(id);
    if (map && !seq.has(id)) pending.push({ id, created_at: String(map.get("created_at") ?? "") });
  }
  if (pending.length === 0) return [];
  pending.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let next = nextSequenceNumber(doc);
  const assigned = pending.map(({ id }) => ({ id, seq: next++ }));
  doc.transact(() => {
    for (const { id, seq: n } of assigned) seq.set(id, n);
  }, origin);
  return assigned;
}
