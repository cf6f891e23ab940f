import type { SendInput } from "../../shared/room-doc/index.ts";
import { compareUnsequenced } from "../../shared/room-doc/sequence.ts";
import type { Queryable } from "../db/database.ts";
import { claimMedia } from "../media/media-records.ts";
import type { RoomDocuments } from "../sync/room-documents.ts";

const text = (value: unknown): string | null => (typeof value === "string" ? value : null);

/** The fields a client wrote for a new message, as a send of the same message (the validator checked them). */
function asSend(fields: Record<string, unknown>, senderId: string): SendInput & { id: string; created_at: string } {
  return {
    id: String(fields.id),
    sender_id: senderId,
    type: fields.type as SendInput["type"],
    content: text(fields.content),
    media_urls: Array.isArray(fields.media_urls) ? (fields.media_urls as string[]) : [],
    attachments: Array.isArray(fields.attachments) ? (fields.attachments as SendInput["attachments"]) : [],
    location: (fields.location ?? null) as SendInput["location"],
    reply_to_id: text(fields.reply_to_id),
    created_at: text(fields.created_at) ?? new Date().toISOString(),
  };
}

/**
 * New messages an offline client wrote into a segment sealed meanwhile, written to the room's
 * live segment as its sender's (docs/architecture.md "Long-lived rooms"): in the order the client
 * wrote them, each with its id, so a message sent again (the client's next attempt) is stored once.
 * The gate judged and admitted them as it judges any (rules, rates, filter, uploads) first.
 */
export async function reissueInLiveSegment(
  db: Queryable,
  rooms: RoomDocuments,
  roomId: string,
  author: { id: string; connectionId: string },
  created: Array<Record<string, unknown>>,
): Promise<void> {
  const sends = created.map((fields) => asSend(fields, author.id)).sort(compareUnsequenced);
  for (const send of sends) {
    await claimMedia(
      db,
      send.id,
      (send.attachments ?? []).map((a) => a.id),
    );
    await rooms.write(roomId, { origin: "connection", userId: author.id, connectionId: author.connectionId }, "send", send);
  }
}
