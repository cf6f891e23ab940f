import type * as Y from "yjs";
import { RoomDocError } from "./errors.ts";
import { requireMessage, roomMaps } from "./maps.ts";
import { readStored } from "./stored-message.ts";
import { assertIsoTime, assertUserId, assertValidEmoji } from "./validate.ts";

/**
 * The `reactions` key of one user's emoji on one message. One flat key per reaction (not a list
 * per message) so that concurrent reactions by different users never conflict.
 */
export const reactionKey = (messageId: string, emoji: string, userId: string): string => `${messageId}|${emoji}|${userId}`;

/** Split a `reactions` key; null for a malformed one. Ids never contain "|" and emoji are refused with it. */
export function parseReactionKey(key: string): { messageId: string; emoji: string; userId: string } | null {
  const parts = key.split("|");
  if (parts.length !== 3) return null;
  const [messageId, emoji, userId] = parts as [string, string, string];
  return { messageId, emoji, userId };
}

function assertReactable(doc: Y.Doc, messageId: string): void {
  const current = readStored(messageId, requireMessage(doc, messageId));
  if (current.deleted) throw new RoomDocError("message_deleted", "A deleted message takes no reactions.");
}

/** React to a message. Adding a reaction that is already there changes nothing (no update, time kept). */
export function addReaction(
  doc: Y.Doc,
  input: { message_id: string; user_id: string; emoji: string; at?: string },
  origin?: unknown,
): void {
  assertReactable(doc, input.message_id);
  assertValidEmoji(input.emoji);
  assertUserId(input.user_id, "user_id");
  const at = input.at ?? new Date().toISOString();
  assertIsoTime(at, "at");
  const { reactions } = roomMaps(doc);
  const key = reactionKey(input.message_id, input.emoji, input.user_id);
  if (reactions.has(key)) return;
  doc.transact(() => reactions.set(key, at), origin);
}

/** Take a reaction back. Removing one that is not there changes nothing. */
export function removeReaction(doc: Y.Doc, input: { message_id: string; user_id: string; emoji: string }, origin?: unknown): void {
  assertReactable(doc, input.message_id);
  const { reactions } = roomMaps(doc);
  const key = reactionKey(input.message_id, input.emoji, input.user_id);
  if (!reactions.has(key)) return;
  doc.transact(() => reactions.delete(key), origin);
}

/** Remove every reaction of a message; call inside the deleting transaction. */
export function deleteReactionsOf(doc: Y.Doc, messageId: string): void {
  const { reactions } = roomMaps(doc);
  const prefix = `${messageId}|`;
  for (const key of [...reactions.keys()]) if (key.startsWith(prefix)) reactions.delete(key);
}

/**
 * emoji → sorted user ids, for each message that has reactions, from one pass over `reactions`.
 * Built with Maps and Object.fromEntries, so an emoji such as "__proto__" is just a key.
 */
export function reactionsByMessage(doc: Y.Doc): Map<string, Record<string, string[]>> {
  const byMessage = new Map<string, Map<string, string[]>>();
  for (const key of roomMaps(doc).reactions.keys()) {
    const parsed = parseReactionKey(key);
    if (!parsed) continue;
    const forMessage = byMessage.get(parsed.messageId) ?? new Map<string, string[]>();
    byMessage.set(parsed.messageId, forMessage);
    const users = forMessage.get(parsed.emoji) ?? [];
    forMessage.set(parsed.emoji, users);
    users.push(parsed.userId);
  }
  // Sorted emoji: Y.Map iteration order differs between replicas, the views must not.
  const byFirst = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);
  const result = new Map<string, Record<string, string[]>>();
  for (const [messageId, forMessage] of byMessage) {
    result.set(messageId, Object.fromEntries([...forMessage].sort(byFirst).map(([emoji, users]) => [emoji, users.sort()])));
  }
  return result;
}
