/** Server-side validation of WebSocket updates to room documents (see docs/document-schema.md). */
export { MAX_CLOCK_SKEW_MS, MAX_UPDATE_BYTES, type RefusalCode } from "./rules.ts";
export { type UpdateAuthor, type Verdict, validateRoomUpdate } from "./validate-room-update.ts";
