import type * as Y from "yjs";
import { messageEntries, messageMap, roomMaps } from "./maps.ts";

// The highest sequence number of each document, kept up to date by observing `seq`: the server
// asks for it on every accepted message, and a scan would make each send O(history).
const highestSeq = new WeakMap<Y.Doc, { value: number }>();

function highestSequenceNumber(doc: Y.Doc): number {
  const cached = highestSeq.get(doc);
  if (cached) return cached.value;
  const { seq } = roomMaps(doc);
  const state = { value: 0 };
  for (const n of seq.values()) if (typeof n === "number" && n > state.value) state.value = n;
  seq.observe((event) => {
    for (const key of event.keysChanged) {
      const n: unknown = seq.get(key);
      if (typeof n === "number" && n > state.value) state.value = n;
    }
  });
  highestSeq.set(doc, state);
  return state.value;
}

/**
 * The sequence number the server gives the next message it accepts: one past the highest so far,
 * and at least `firstSeq` (a segment after the first continues where the one before it ended).
 */
export function nextSequenceNumber(doc: Y.Doc, firstSeq = 1): number {
  return Math.max(highestSequenceNumber(doc) + 1, firstSeq);
}

/** Order of messages waiting for a number: the sender's clock, then the id (a UUIDv7, so also time). */
export function compareUnsequenced(a: { id: string; created_at: string }, b: { id: string; created_at: string }): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Server only: give every message without a sequence number the next numbers, in (created_at, id)
 * order, and return what it assigned. Numbers already given never change. When nothing lacks a
 * number it returns [] without opening a transaction, so it makes no update.
 *
 * `candidates` limits the search to those ids (the messages a change just touched), which keeps
 * the server's hot path O(change); without it the whole room is scanned (after a load).
 * `firstSeq` is where the document's segment starts (see nextSequenceNumber).
 */
export function assignSequenceNumbers(
  doc: Y.Doc,
  origin?: unknown,
  candidates?: Iterable<string>,
  firstSeq = 1,
): Array<{ id: string; seq: number }> {
  const { seq } = roomMaps(doc);
  const pending: Array<{ id: string; created_at: string }> = [];
  // A Set: a candidate named twice must still get one number.
  const ids = candidates ?? [...messageEntries(doc)].map(([id]) => id);
  for (const id of new Set(ids)) {
    const map = messageMap(doc, id);
    if (!map || seq.has(id)) continue;
    const createdAt = map.get("created_at");
    pending.push({ id, created_at: typeof createdAt === "string" ? createdAt : "" });
  }
  if (pending.length === 0) return [];
  pending.sort(compareUnsequenced);
  let next = nextSequenceNumber(doc, firstSeq);
  const assigned = pending.map(({ id }) => ({ id, seq: next++ }));
  doc.transact(() => {
    for (const { id, seq: n } of assigned) seq.set(id, n);
  }, origin);
  return assigned;
}
