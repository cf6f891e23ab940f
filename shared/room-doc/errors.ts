/** Why the document model refused a change; each code is also a REST error code. */
export const ROOM_DOC_ERROR_CODES = [
  "message_not_found",
  "not_message_owner",
  "message_deleted",
  "invalid_message",
  "reply_target_missing",
  "content_too_long",
  "message_not_accepted",
] as const;
export type RoomDocErrorCode = (typeof ROOM_DOC_ERROR_CODES)[number];

/** A refused change to a room document. */
export class RoomDocError extends Error {
  constructor(
    readonly code: RoomDocErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "RoomDocError";
  }
}
