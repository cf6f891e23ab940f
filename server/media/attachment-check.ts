import type { Attachment } from "../../shared/room-doc/index.ts";
import type { Queryable } from "../db/database.ts";
import { attachmentOf, findMediaMany } from "./media-records.ts";

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
  const rows = new Map((await findMediaMany(db, ids)).map((row) => [row.id, row]));
  for (const use of uses) {
    for (const attachment of use.attachments) {
      const row = rows.get(attachment.id);
      if (!row || row.room_id !== roomId || row.uploader_id !== senderId) {
        return `Attachment ${attachment.id} is not an upload of yours to this room.`;
      }
      if (row.message_id !== null && row.message_id !== use.messageId) return `Attachment ${attachment.id} belongs to another message.`;
      if (!sameAttachment(attachment, attachmentOf(row))) return `Attachment ${attachment.id} does not say what was uploaded.`;
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
  const rows = new Map((await findMediaMany(db, ids)).map((row) => [row.id, row]));
  const attachments: Attachment[] = [];
  for (const id of ids) {
    const row = rows.get(id);
    if (!row || row.room_id !== roomId || row.uploader_id !== senderId)
      return { refused: `Upload ${id} is not an upload of yours to this room.` };
    if (row.message_id !== null && row.message_id !== messageId) return { refused: `Upload ${id} belongs to another message.` };
    attachments.push(attachmentOf(row));
  }
  return { attachments };
}
