import { z } from "zod";

const uuid = z.uuid();
// A segment number after the head's: 1, 2, … (no leading zero, so each segment has one name).
const SEGMENT = /^[1-9][0-9]{0,8}$/;

/**
 * A parsed document name (the design's contract): `room:<room uuid>` (the room's head, which is
 * also its first segment of messages, segment 0), `room:<room uuid>:<n>` (its segment n ≥ 1,
 * docs/architecture.md "Long-lived rooms") or `user:<user uuid>`.
 */
export type DocumentName = { kind: "room"; roomId: string; segment: number } | { kind: "user"; userId: string };

/** Parse a document name; null when it is neither a room (or one of its segments) nor a user document. */
export function parseDocumentName(name: string): DocumentName | null {
  const [kind, id, segment, ...rest] = name.split(":");
  if (rest.length > 0 || !id || !uuid.safeParse(id).success) return null;
  if (kind === "room") {
    if (segment === undefined) return { kind, roomId: id.toLowerCase(), segment: 0 };
    return SEGMENT.test(segment) ? { kind, roomId: id.toLowerCase(), segment: Number(segment) } : null;
  }
  if (kind === "user" && segment === undefined) return { kind, userId: id.toLowerCase() };
  return null;
}

/** The document name of a room: its head (and first segment). */
export const roomDocumentName = (roomId: string) => `room:${roomId}`;
/** The document name of a room's segment `segment` (0 is the head). */
export const roomSegmentName = (roomId: string, segment: number) => (segment === 0 ? `room:${roomId}` : `room:${roomId}:${segment}`);
/** The private document name of a user. */
export const userDocumentName = (userId: string) => `user:${userId}`;
