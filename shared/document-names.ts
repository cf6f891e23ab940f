import { z } from "zod";

const uuid = z.uuid();

/** A parsed document name: `room:<room uuid>` or `user:<user uuid>` (the design's contract). */
export type DocumentName = { kind: "room"; roomId: string } | { kind: "user"; userId: string };

/** Parse a document name; null when it is neither a room nor a user document. */
export function parseDocumentName(name: string): DocumentName | null {
  const [kind, id, ...rest] = name.split(":");
  if (rest.length > 0 || !id || !uuid.safeParse(id).success) return null;
  if (kind === "room") return { kind, roomId: id.toLowerCase() };
  if (kind === "user") return { kind, userId: id.toLowerCase() };
  return null;
}

/** The document name of a room. */
export const roomDocumentName = (roomId: string) => `room:${roomId}`;
/** The private document name of a user. */
export const userDocumentName = (userId: string) => `user:${userId}`;
