import type { ErrorCode } from "../errors.ts";

/**
 * Why the document model refused a change. Each code is also a REST error code (`satisfies`
 * keeps it so), and `ERROR_CODES` in shared/errors.ts says what the client should do about it.
 */
export const ROOM_DOC_ERROR_CODES = [
  /** The message id is not in this room's document. */
  "message_not_found",
  /** Only the sender may edit (and, without moderation rights, delete) a message. */
  "not_message_owner",
  /** The message was deleted: it takes no edits or reactions. */
  "message_deleted",
  /** The change breaks the schema (missing content, bad id, bad emoji, …). */
  "invalid_message",
  /** `reply_to_id` names a message this room's document does not have. */
  "reply_target_missing",
  /** The text is over `ROOM_DOC_LIMITS.contentChars`. */
  "content_too_long",
  /** The text holds a NUL or a lone surrogate, which the database cannot store. */
  "invalid_text",
  /** The message has no sequence number yet, so a read marker cannot point at it. */
  "message_not_accepted",
  /** The room's segment this write went to was sealed: new messages go to its live segment. */
  "segment_sealed",
] as const satisfies readonly ErrorCode[];

/** One of ROOM_DOC_ERROR_CODES. */
export type RoomDocErrorCode = (typeof ROOM_DOC_ERROR_CODES)[number];

/** A refused change to a room document; thrown before anything is written. */
export class RoomDocError extends Error {
  constructor(
    readonly code: RoomDocErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "RoomDocError";
  }
}
