import type * as Y from "yjs";
import { parseReactionKey, readStored, roomMaps } from "./access.ts";
import { type MessageView, type ReceiptView, ROOM_DOC_SCHEMA_VERSION } from "./schema.ts";

/** emoji → sorted user ids, per message id, from one pass over `reactions`. */
function reactionsByMessage(doc: Y.Doc): Map<string, Record<string, string[]>> {
  const byMessage = new Map<string, Record<string, string[]>>();
  for (const key of roomMaps(doc).reactions.keys()) {
    const parsed = parseReactionKey(key);
    if (!parsed) continue;
    const forMessage = byMessage.get(parsed.messageId) ?? {};
    const users = forMessage[parsed.emoji] ?? [];
    users.push(parsed.userId);
    forMessage[parsed.emoji] = users;
    byMessage.set(parsed.messageId, forMessage);
  }
  for (const forMessage of byMessage.values()) for (const users of Object.values(forMessage)) users.sort();
  return byMessage;
}

function view(doc: Y.Doc, id: string, map: Y.Map<unknown>, reactions: Record<string, string[]> | undefined): MessageView {
  return {
    ...readStored(id, map),
    seq: roomMaps(doc).seq.get(id) ?? null,
    reactions: reactions ?? {},
  };
}

/** One message as listings show it, or null. */
export function getMessage(doc: Y.Doc, id: string): MessageView | null {
  const map = roomMaps(doc).messages.get(id);
  return map ? view(doc, id, map, reactionsByMessage(doc).get(id)) : null;
}

function compareDisplay(a: MessageView, b: MessageView): number {
  // Accepted messages by server sequence; not-yet-accepted ones after them, in local order.
  if (a.seq !== null && b.seq !== null) return a.seq - b.seq || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  if (a.seq !== null) return -1;
  if (b.seq !== null) return 1;
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Every message in display order (see compareDisplay): never ordered by client clocks once accepted. */
export function allMessages(doc: Y.Doc): MessageView[] {
  const reactions = reactionsByMessage(doc);
  const all: MessageView[] = [];
  for (const [id, map] of roomMaps(doc).messages) all.push(view(doc, id, map, reactions.get(id)));
  return all.sort(compareDisplay);
}

/**
 * A page of messages in display order: the last `limit` (default 50), or with `before_seq` the last
 * `limit` accepted messages whose seq is below it (paging backwards), still oldest first.
 */
export function listMessages(doc: Y.Doc, options: { before_seq?: number; limit?: number } = {}): MessageView[] {
  const limit = options.limit ?? 50;
  const { before_seq } = options;
  const all = allMessages(doc);
  const eligible = before_seq === undefined ? all : all.filter((m) => m.seq !== null && m.seq < before_seq);
  return eligible.slice(Math.max(0, eligible.length - limit));
}

/** Accepted messages after my read marker, from others, not deleted, not system. */
export function unreadCount(doc: Y.Doc, userId: string): number {
  const { messages, seq, receipts } = roomMaps(doc);
  const after = receipts.get(userId)?.seq ?? 0;
  let count = 0;
  for (const [id, map] of messages) {
    const n = seq.get(id);
    if (n === undefined || n <= after) continue;
    const m = readStored(id, map);
    if (m.sender_id !== userId && !m.deleted && m.type !== "system") count++;
  }
  return count;
}

/** Who has read a message: users whose marker is at or past it, except its sender. */
export function readBy(doc: Y.Doc, messageId: string): Array<{ user_id: string; read_at: string }> {
  const { messages, seq, receipts } = roomMaps(doc);
  const n = seq.get(messageId);
  if (n === undefined) return [];
  const sender = messages.get(messageId)?.get("sender_id");
  const readers: Array<{ user_id: string; read_at: string }> = [];
  for (const [userId, receipt] of receipts) {
    if (userId !== sender && receipt.seq >= n) readers.push({ user_id: userId, read_at: receipt.read_at });
  }
  return readers.sort((a, b) => (a.user_id < b.user_id ? -1 : 1));
}

/** The last accepted, not deleted message, as room lists show it. */
export function lastMessage(doc: Y.Doc): { id: string; sender_id: string; content: string | null; created_at: string } | null {
  const { messages, seq } = roomMaps(doc);
  let best: { id: string; n: number } | null = null;
  for (const [id, n] of seq) {
    const map = messages.get(id);
    if (!map || map.get("deleted") === true) continue;
    if (!best || n > best.n || (n === best.n && id > best.id)) best = { id, n };
  }
  if (!best) return null;
  const m = readStored(best.id, messages.get(best.id) as Y.Map<unknown>);
  return { id: m.id, sender_id: m.sender_id, content: m.content, created_at: m.created_at };
}

/** Every message id in the room. */
export function messageIdsIn(doc: Y.Doc): Set<string> {
  return new Set(roomMaps(doc).messages.keys());
}

/** The whole room as plain JSON, for operators and tests. */
export function roomDocToJSON(doc: Y.Doc): {
  schemaVersion: number;
  messages: MessageView[];
  receipts: Record<string, ReceiptView>;
} {
  const { meta, receipts } = roomMaps(doc);
  return {
    schemaVersion: (meta.get("schemaVersion") as number | undefined) ?? ROOM_DOC_SCHEMA_VERSION,
    messages: allMessages(doc),
    receipts: Object.fromEntries([...receipts.entries()].sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}
