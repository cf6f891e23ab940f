/**
 * The room document model (schemaVersion 1): typed, validated reads and writes over a room's
 * Y.Doc, with no I/O. Every write takes an optional transaction `origin`. See docs/document-schema.md.
 */
export { ROOM_DOC_ERROR_CODES, RoomDocError, type RoomDocErrorCode } from "./errors.ts";
export {
  allMessages,
  compareDisplay,
  getMessage,
  getSequencedMessage,
  lastMessage,
  listMessages,
  type MessagePosition,
  messageIdsIn,
} from "./listing.ts";
export { initRoomDoc, roomMaps, schemaVersionOf } from "./maps.ts";
export { deleteMessage, editMessage, type SendInput, sendMessage } from "./messages.ts";
export { labelWithoutText } from "./preview.ts";
export { addReaction, parseReactionKey, reactionKey, removeReaction } from "./reactions.ts";
export { markRead, markReadAt, readBy, unreadCount } from "./receipts.ts";
export {
  type Attachment,
  attachmentSchema,
  type Location,
  locationSchema,
  type MessageType,
  type MessageView,
  messageTypeSchema,
  messageViewSchema,
  newMessageSchema,
  type ReceiptView,
  ROOM_DOC_LIMITS,
  ROOM_DOC_SCHEMA_VERSION,
  receiptSchema,
  type StoredMessage,
  type SystemEvent,
  storedMessageSchema,
  systemEventSchema,
} from "./schema.ts";
export {
  assertTakesNewMessages,
  isSealed,
  liveSegmentOf,
  markSegment,
  repliesReachEarlierSegments,
  sealSegment,
  segmentNumberOf,
  setLiveSegment,
} from "./segments.ts";
export { assignSequenceNumbers, nextSequenceNumber } from "./sequence.ts";
export { type RoomDocJSON, roomChainToJSON, roomDocToJSON } from "./to-json.ts";
