import type * as Y from "yjs";
import { RoomDocError } from "./errors.ts";
import { roomMaps } from "./maps.ts";

/**
 * A long-lived room is a chain of documents (docs/architecture.md "Long-lived rooms"): its head
 * `room:<id>` is also segment 0, and when a segment holds enough messages the server seals it
 * and new messages go to the next, `room:<id>:<n>`. These `meta` keys say so; only the server
 * writes them.
 */

/** Which of its room's documents this is: the server marks segments after the head (0: the head). */
export function segmentNumberOf(doc: Y.Doc): number {
  const n = roomMaps(doc).meta.get("segment");
  return typeof n === "number" && Number.isInteger(n) && n > 0 ? n : 0;
}

/** Server only: mark a segment after the head with its number (a no-op, no update, once marked). */
export function markSegment(doc: Y.Doc, segment: number, origin?: unknown): void {
  if (segment === 0 || segmentNumberOf(doc) === segment) return;
  doc.transact(() => roomMaps(doc).meta.set("segment", segment), origin);
}

/**
 * Whether a reply in `doc` may name a message it does not hold: a segment after the head replies
 * to messages of earlier segments, which only the room's index knows. Readers show such a target
 * as unavailable when it is not a message of the room.
 */
export function repliesReachEarlierSegments(doc: Y.Doc): boolean {
  return segmentNumberOf(doc) > 0;
}

/** The segment new messages go to, as the head says: 0 until the head itself is sealed. */
export function liveSegmentOf(head: Y.Doc): number {
  const n = roomMaps(head).meta.get("live_segment");
  return typeof n === "number" && Number.isInteger(n) && n > 0 ? n : 0;
}

/** Whether the server sealed this segment: it takes edits, deletes and reactions, no new messages. */
export function isSealed(doc: Y.Doc): boolean {
  return roomMaps(doc).meta.get("sealed") === true;
}

/** Server only: seal `doc`, which is segment `segment`; sealing the head also moves its live segment. */
export function sealSegment(doc: Y.Doc, segment: number, origin?: unknown): void {
  const { meta } = roomMaps(doc);
  doc.transact(() => {
    meta.set("sealed", true);
    if (segment === 0) meta.set("live_segment", 1);
  }, origin);
}

/** Server only: the head names `segment` as where new messages go (never backwards). */
export function setLiveSegment(head: Y.Doc, segment: number, origin?: unknown): void {
  if (liveSegmentOf(head) >= segment) return;
  head.transact(() => roomMaps(head).meta.set("live_segment", segment), origin);
}

/** A new message may go to `doc` only while it is the live segment; `segment_sealed` otherwise. */
export function assertTakesNewMessages(doc: Y.Doc): void {
  if (isSealed(doc)) throw new RoomDocError("segment_sealed", "This segment of the room is sealed: new messages go to its live segment.");
}
