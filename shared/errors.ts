/**
 * Every error code the server sends, on REST (`{ error: { code, message } }`) and on the
 * WebSocket (`{ type: "refused", code, message }` plus the close reason). Each says what the
 * client should do about it.
 */
export const ERROR_CODES = {
  invalid_json: { status: 400, action: "Fix the request body: it is not valid JSON." },
  invalid_request: { status: 400, action: "Fix the named field and send again." },
  unauthenticated: {
    status: 401,
    action: "Log in again: the session token is missing, expired or revoked.",
  },
  invalid_credentials: { status: 401, action: "Check the username and password." },
  forbidden: { status: 403, action: "Do not retry: you are not allowed to do this." },
  not_a_member: {
    status: 403,
    action: "Do not retry: join the room or ask an admin to add you first.",
  },
  not_room_admin: { status: 403, action: "Ask a room admin: only they may do this." },
  blocked: { status: 403, action: "Do not retry: this conversation is not available." },
  not_found: { status: 404, action: "Refresh: it does not exist or is not visible to you." },
  username_taken: { status: 409, action: "Pick another username." },
  conflict: { status: 409, action: "Refresh and decide again: the state changed." },
  payload_too_large: { status: 413, action: "Send less: the body is over the size limit." },
  unsupported_media_type: { status: 415, action: "Send JSON with Content-Type: application/json." },
  rate_limited: { status: 429, action: "Wait for Retry-After seconds (or a minute on the WebSocket), then try again." },
  message_not_found: { status: 404, action: "Refresh the room: the message does not exist there." },
  not_message_owner: { status: 403, action: "Do not retry: only the sender may do this." },
  message_deleted: { status: 409, action: "Refresh: the message was deleted." },
  invalid_message: { status: 400, action: "Fix the message: its fields break the schema." },
  reply_target_missing: { status: 400, action: "Reply to a message that exists in this room." },
  content_too_long: { status: 413, action: "Shorten the message." },
  message_id_taken: { status: 409, action: "Make a new id for this message and send again: another room has a message with this one." },
  message_not_accepted: {
    status: 409,
    action: "Wait until the message is saved, then mark it read.",
  },
  segment_sealed: {
    status: 409,
    action: "Drop this copy of the segment and write new messages to the room's live segment (the head's meta.live_segment).",
  },
  // The social graph (friends, requests, blocks).
  user_not_found: { status: 404, action: "Refresh: this user does not exist or is not visible to you." },
  friend_request_not_found: { status: 404, action: "Refresh the requests: this one does not exist or is not yours." },
  request_to_self: { status: 409, action: "Do not retry: you cannot befriend yourself." },
  already_friends: { status: 409, action: "Nothing to do: you are already friends." },
  request_pending: { status: 409, action: "Wait for an answer: a request between you is already pending." },
  request_not_pending: { status: 409, action: "Refresh the requests: this one was already answered or cancelled." },
  cannot_answer_own_request: { status: 409, action: "Wait: only the person you asked may answer." },
  not_requester: { status: 409, action: "Decline instead: only the sender may cancel a request." },
  request_cooldown: { status: 409, action: "Wait for Retry-After seconds: your last request was declined." },
  requests_not_accepted: { status: 403, action: "Do not retry: this person does not accept friend requests from you." },
  not_friends: { status: 404, action: "Refresh the friends list: you are not friends." },
  not_blocked: { status: 404, action: "Refresh the blocked list: this user is not blocked." },
  cannot_block_self: { status: 409, action: "Do not retry: you cannot block yourself." },
  document_not_granted: { status: 403, action: "Drop this document: the session may not open it." },
  // Web Push (docs/push.md).
  push_endpoint_refused: {
    status: 400,
    action: "Do not retry: subscribe through the browser's push service, whose endpoint is an https URL.",
  },
  // Refusals of a WebSocket update (see docs/document-schema.md "Who may write what"). The client
  // keeps the user's unsent text to offer a retry, drops its copy of the room and resyncs.
  invalid_update: { status: 400, action: "Drop the local copy of the room and resync: the update could not be decoded." },
  forged_author: { status: 403, action: "Drop the local copy and resync: the update wrote in another user's name." },
  not_permitted: { status: 403, action: "Drop the local copy and resync: the update changed what this user may not change." },
  schema_violation: { status: 400, action: "Drop the local copy and resync: the update wrote outside the room schema." },
  update_too_large: { status: 413, action: "Drop the local copy and resync; send less at once." },
  invalid_text: {
    status: 400,
    action: "Remove NUL characters and broken Unicode (lone UTF-16 surrogates) from the text, then send again.",
  },
  clock_skew: { status: 400, action: "Fix the device clock, then retry: the message is dated in the future." },
  document_rewritten: {
    status: 409,
    action: "Drop the local copy and resync: an operator rewrote this document (a message was erased for good).",
  },
  // Reports and suspensions (docs/moderation.md).
  already_reported: { status: 409, action: "Nothing to do: your report about this is already waiting for an admin." },
  cannot_report_self: { status: 409, action: "Do not retry: you cannot report yourself or your own message." },
  report_resolved: { status: 409, action: "Refresh the queue: this report was already resolved." },
  account_suspended: { status: 403, action: "Wait until the suspension ends (the message says when), then log in again." },
  session_ended: {
    status: 401,
    action: "Sign out on this device: the session was logged out (on this device or another tab of it); log in again to continue.",
  },
  // Awareness (typing, presence) on the WebSocket (docs/api.md "Awareness").
  awareness_too_large: {
    status: 413,
    action: "Send a smaller awareness state (the limit is in docs/api.md); the room was closed for this connection: reopen it.",
  },
  // The content filter (docs/moderation.md), on REST (422) and on the WebSocket (refused).
  content_blocked: { status: 422, action: "Reword the message: it contains words this room does not allow." },
  link_blocked: { status: 422, action: "Remove the link: its domain is blocked on this server." },
  // Media (docs/media.md): uploads, and the attachments a message carries.
  media_too_large: { status: 413, action: "Send a smaller file: the upload is over the size (or image pixel) limit." },
  media_type_refused: {
    status: 415,
    action: "Send an image (JPEG, PNG, GIF, WebP, AVIF) or a supported file: the bytes are of a type this server does not take.",
  },
  media_not_found: { status: 404, action: "Refresh: the upload does not exist, was removed, or is not in one of your rooms." },
  media_id_taken: { status: 409, action: "Make a new id for this upload: another upload has this one." },
  attachment_invalid: {
    status: 400,
    action:
      "Upload the file again and attach what the upload answered: the message names an upload that is not yours, not in this room, already used or not as uploaded.",
  },
  invalid_document_name: { status: 400, action: "Use room:<uuid> or user:<uuid>." },
  service_unavailable: {
    status: 503,
    action: "Wait for Retry-After seconds, then try again: the server cannot reach its database right now.",
  },
  internal: { status: 500, action: "Report it: this is a server bug." },
} as const;

/** A named error code (see ERROR_CODES for what the client should do). */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The JSON body of every REST error response. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

/** Close codes of a refused document (Hocuspocus close message), 4000–4999 as WebSocket reserves. */
export const CLOSE_CODES = {
  unauthenticated: 4401,
  refused: 4403,
} as const;
