import { z } from "zod";
import { friendRequestResponseSchema } from "./friends.ts";
import { messageResponseSchema } from "./messages.ts";
import { chatRoomResponseSchema } from "./rooms.ts";
import { text } from "./text.ts";

/**
 * The live events of GET /api/v1/events (Server-Sent Events; docs/api.md "Live events"). On the
 * wire each is `event: <type>`, `id: <cursor>` and `data: <JSON of data>`; here each is one
 * schema `{ type, data }`, and `liveEventSchema` is their union.
 */

/**
 * A message as REST returns it, less `reactions` and `read_by`: those change with their own
 * events (reaction.*, receipt.updated), so a message event stays O(1) however busy the message.
 */
export const eventMessageSchema = messageResponseSchema.omit({ reactions: true, read_by: true });
export type EventMessage = z.infer<typeof eventMessageSchema>;

export const reactionEventDataSchema = z.object({
  room_id: z.string(),
  message_id: z.string(),
  emoji: z.string(),
  user_id: z.string(),
});

/** A member's read marker moved: everything up to `seq` (the message `message_id`) is read. */
export const receiptEventDataSchema = z.object({
  room_id: z.string(),
  user_id: z.string(),
  message_id: z.string().nullable(),
  seq: z.number().int(),
  read_at: z.string(),
});

export const typingEventDataSchema = z.object({ room_id: z.string(), user_id: z.string(), typing: z.boolean() });

/** A friend's online state (the fields GET /chat/friends shows). */
export const presenceEventDataSchema = z.object({
  user_id: z.string(),
  is_online: z.boolean(),
  last_seen: z.string().nullable(),
});

/** I am no longer in the room: I left, or an admin (`removed_by`) removed me. */
export const roomRemovedEventDataSchema = z.object({
  room_id: z.string(),
  status: z.enum(["left", "removed"]),
  removed_by: z.string().nullable(),
});

/** The cursor is older than the server keeps: refetch what you show over REST, then read on from this event's id. */
export const resetEventDataSchema = z.object({ reason: z.literal("cursor_expired"), message: z.string() });

const event = <T extends string, D extends z.ZodType>(type: T, data: D) => z.object({ type: z.literal(type), data });

/** Every event a stream carries, discriminated by `type` (the SSE event name). */
export const liveEventSchema = z.discriminatedUnion("type", [
  /** A message was accepted (it has its `seq`): by a Yjs client, a REST client or the server (system lines). */
  event("message.created", eventMessageSchema),
  /** A message's text was edited. */
  event("message.updated", eventMessageSchema),
  /** A message was deleted (`is_deleted`, no content). */
  event("message.deleted", eventMessageSchema),
  event("reaction.added", reactionEventDataSchema),
  event("reaction.removed", reactionEventDataSchema),
  event("receipt.updated", receiptEventDataSchema),
  /** Someone in one of my rooms started or stopped typing (ephemeral: no `id`, never replayed). */
  event("typing", typingEventDataSchema),
  /** A friend came online or went offline (ephemeral: no `id`, never replayed). */
  event("presence", presenceEventDataSchema),
  /** Someone sent me a friend request. */
  event("friend_request.received", friendRequestResponseSchema),
  /** A request I sent or received was accepted, declined or cancelled. */
  event("friend_request.updated", friendRequestResponseSchema),
  /** I am in a room now (created, added, joined, or a direct room opened): the room as GET /chat/rooms/{id} shows it to me. */
  event("room.added", chatRoomResponseSchema),
  /** A room of mine changed (name, description, settings, roles, my mute or archive): as GET /chat/rooms/{id} shows it now. */
  event("room.updated", chatRoomResponseSchema),
  event("room.removed", roomRemovedEventDataSchema),
  event("reset", resetEventDataSchema),
]);
export type LiveEvent = z.infer<typeof liveEventSchema>;
export type LiveEventType = LiveEvent["type"];
export type LiveEventData<T extends LiveEventType> = Extract<LiveEvent, { type: T }>["data"];

/** Every event name, for clients that add one listener per name (EventSource). */
export const LIVE_EVENT_TYPES = liveEventSchema.options.map((o) => o.shape.type.value) as LiveEventType[];

/** GET /api/v1/events?since=<id>: resume after an event (the `Last-Event-ID` header wins when both are sent). */
export const eventsQuerySchema = z.strictObject({
  since: text().min(1).max(100).optional(),
});

/** POST /api/v1/chat/rooms/{room_id}/typing: a REST client says it is typing (it lapses after a few seconds unless said again). */
export const typingRequestSchema = z.strictObject({ typing: z.boolean() });
