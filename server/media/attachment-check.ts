import type { Attachment } from "../../shared/room-doc/index.ts";
import type { Queryable } from "../db/database.ts";
import { attachmentOf, findMediaMany, type MediaRow } from "./media-records.ts";

/** The uploads one new message carries. */
export interface AttachmentUse {
  messageId: string;
  attachments: Attachment[];
}

const sameAttachment = (a: Attachment, b: Attachment) =>
  a.id === b.id &&
  a.kind === b.kind &&
  a.name === b.name &&
  a.mime === b.mime &&
  a.size === b.size &&
  a.width === b.width &&
  a.height === b.height;

/** Upload `id` if message `messageId` of `senderId` in `roomId` may carry it, else why not. */
function usableUpload(row: MediaRow | undefined, id: string, roomId: string, senderId: string, messageId: string): MediaRow | string {
  if (!row || row.room_id !== roomId || row.uploader_id !== senderId) return `Upload ${id} is not an upload of yours to this room.`;
  if (row.message_id !== null && row.message_id !== messageId) return `Upload ${id} belongs to another message.`;
  return row;
}

async function uploadsById(db: Queryable, ids: string[]): Promise<Map<string, MediaRow>> {
  return new Map((await findMediaMany(db, ids)).map((row) => [row.id, row]));
}

/**
 * Check what new messages of `senderId` in `roomId` carry against the uploads table: each
 * attachment is an upload of this sender, to this room, not carried by another message, and
 * says exactly what the upload answered (so nobody can show another member's file, relabel a
 * file as an image, or fake its size). One query for all of them. Returns the refusal's words,
 * or null when every attachment stands.
 */
export async function refusedAttachments(db: Queryable, roomId: string, senderId: string, uses: AttachmentUse[]): Promise<string | null> {
  const ids = uses.flatMap((u) => u.attachments.map((a) => a.id));
  if (ids.length === 0) return null;
  if (new Set(ids).size !== ids.length) return "The same upload is attached twice.";
  const rows = await uploadsById(db, ids);
  for (const use of uses) {
    for (const attachment of use.attachments) {
      const row = usableUpload(rows.get(attachment.id), attachment.id, roomId, senderId, use.messageId);
      if (typeof row === "string") return row;
      if (!sameAttachment(attachment, attachmentOf(row))) return `Upload ${attachment.id}: the attachment does not say what was uploaded.`;
    }
  }
  return null;
}

/**
 * The attachments a REST send names by upload id, as the uploads table says they are (a REST
 * client need not repeat what the upload answered). Refused as in `refusedAttachments`.
 */
export async function attachmentsByUploadId(
  db: Queryable,
  roomId: string,
  senderId: string,
  messageId: string,
  ids: string[],
): Promise<{ attachments: Attachment[] } | { refused: string }> {
  if (new Set(ids).size !== ids.length) return { refused: "The same upload is attached twice." };
  const rows = await uploadsById(db, ids);
  const attachments: Attachment[] = [];
  for (const id of ids) {
    const row = usableUpload(rows.get(id), id, roomId, senderId, messageId);
    if (typeof row === "string") return { refused: row };
    attachments.push(attachmentOf(row));
  }
  return { attachments };
}
