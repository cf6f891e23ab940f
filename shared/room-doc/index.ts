/** The room document model: typed reads and writes over a room's Y.Doc (see docs/document-schema.md). */
export { initRoomDoc, parseReactionKey, reactionKey, roomMaps } from "./access.ts";
export { ROOM_DOC_ERROR_CODES, RoomDocError, type RoomDocErrorCode } from "./errors.ts";
export {
  allMessages,
  getMessage,
  lastMessage,
  listMessages,
  messageIdsIn,
  readBy,
  roomDocToJSON,
  unreadCount,
} from "./reads.ts";
export * from "./schema.ts";
export {
  addReaction,
  assignSequenceNumbers,
  deleteMessage,
  editMessage,
  markRead,
  nextSequenceNumber,
  removeReaction,
  type SendInput,
  sendMessage,
} from "./writes.ts";
