import type * as Y from "yjs";
import { messageEntries, messageMap, roomMaps } from "./maps.ts";
import { labelWithoutText } from "./preview.ts";
import { reactionsByMessage } from "./reactions.ts";
import type { MessageView } from "./schema.ts";
import { compareUnsequenced } from "./sequence.ts";
import { readStored } from "./stored-message.ts";

const compareIds = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Display order, the same on every replica: accepted messages by server sequence number (ties,
 * which one server never makes, by id), then messages not accepted yet by (created_at, id). A
 * client's clock never orders accepted messages.
 */
export function compareDisplay(a: MessageView, b: MessageView): number {
  if (a.seq !== null && b.seq !== null) return a.seq - b.seq || compareIds(a.id, b.id);
  if (a.seq !== null) return -1;
  if (b.seq !== null) return 1;
  return compareUnsequenced(a, b);
}

function view(seq: Y.Map<number>, id: string, map: Y.Map<unknown>, reactions: Record<string, string[]> | undefined): MessageView {
  const stored = readStored(id, map);
  const n: unknown = seq.get(id);
  return {
    ...stored,
    seq: typeof n === "number" ? n : null,
    // A reaction added concurrently with the delete survives the merge; a deleted message shows none.
    reactions: stored.deleted ? {} : (reactions ?? {}),
  };
}

/** One message as reads show it, or null when the room does not have it. */
export function getMessage(doc: Y.Doc, id: string): MessageView | null {
  const map = messageMap(doc, id);
  return map ? view(roomMaps(doc).seq, id, map, reactionsByMessage(doc).get(id)) : null;
}

/** Every message of the room, in display order (see compareDisplay). */
export function allMessages(doc: Y.Doc): MessageView[] {
  const reactions = reactionsByMessage(doc);
  const { seq } = roomMaps(doc);
  const all: MessageView[] = [];
  for (const [id, map] of messageEntries(doc)) all.push(view(seq, id, map, reactions.get(id)));
  return all.sort(compareDisplay);
}

/** Where a page ends in display order: an accepted message's sequence number and id. */
export interface MessagePosition {
  seq: number;
  /** Breaks a tie between two messages that share a number (rooms numbered twice by an older release); "" for none. */
  id: string;
}

/**
 * A page of messages, oldest first. Without `before`: the last `limit` (default 50) of the
 * display order, not-yet-accepted ones included. With `before`: the last `limit` accepted
 * messages placed before it in display order, for paging backwards with the position of the
 * previous page's oldest message. Comparing the id too keeps a page border that falls between two
 * messages with one number from skipping the second.
 */
export function listMessages(doc: Y.Doc, options: { before?: MessagePosition; limit?: number } = {}): MessageView[] {
  const limit = Math.max(0, Math.floor(options.limit ?? 50));
  const { before } = options;
  const all = allMessages(doc);
  const eligible =
    before === undefined
      ? all
      : all.filter((m) => m.seq !== null && (m.seq < before.seq || (m.seq === before.seq && compareIds(m.id, before.id) < 0)));
  return eligible.slice(eligible.length - Math.min(limit, eligible.length));
}

/** The last accepted, not deleted message in display order, as room lists show it; null when none. */
export function lastMessage(doc: Y.Doc): { id: string; sender_id: string; content: string | null; created_at: string } | null {
  let best: { id: string; n: number } | null = null;
  for (const [id, n] of roomMaps(doc).seq) {
    const map = messageMap(doc, id);
    if (typeof n !== "number" || !map || map.get("deleted") === true) continue;
    if (!best || n > best.n || (n === best.n && id > best.id)) best = { id, n };
  }
  const map = best ? messageMap(doc, best.id) : undefined;
  if (!best || !map) return null;
  const m = readStored(best.id, map);
  // A photo or file without words still says what it was in the room list.
  return { id: m.id, sender_id: m.sender_id, content: m.content ?? labelWithoutText(m), created_at: m.created_at };
}

/** Every message id in the room (accepted or not). */
export function messageIdsIn(doc: Y.Doc): Set<string> {
  return new Set([...messageEntries(doc)].map(([id]) => id));
}

/** A message's stored fields and sequence number without its reactions: O(1), for the server's hot path. */
export function getSequencedMessage(doc: Y.Doc, id: string): (ReturnType<typeof readStored> & { seq: number | null }) | null {
  const map = messageMap(doc, id);
  if (!map) return null;
  const n: unknown = roomMaps(doc).seq.get(id);
  return { ...readStored(id, map), seq: typeof n === "number" ? n : null };
}
