import { z } from "zod";
import { loginRequestSchema, meResponseSchema, sessionResponseSchema, signupRequestSchema } from "../../shared/api/auth.ts";
import { API_VERSION, listOf, pageQuerySchema, uuidParam } from "../../shared/api/common.ts";
import { eventsQuerySchema, liveEventSchema, typingRequestSchema } from "../../shared/api/events.ts";
import {
  blockedUserSchema,
  friendRequestAnswerSchema,
  friendRequestCreateSchema,
  friendRequestListQuerySchema,
  friendRequestResponseSchema,
  friendResponseSchema,
  suggestionQuerySchema,
  suggestionSchema,
} from "../../shared/api/friends.ts";
import { mediaResponseSchema, mediaUploadQuerySchema } from "../../shared/api/media.ts";
import { messageCreateSchema, messageEditSchema, messageResponseSchema, reactionCreateSchema } from "../../shared/api/messages.ts";
import {
  pushConfigResponseSchema,
  pushPreferencesSchema,
  pushPreferencesUpdateSchema,
  pushSubscriptionCreateSchema,
  pushSubscriptionDeleteSchema,
  pushSubscriptionResponseSchema,
} from "../../shared/api/push.ts";
import {
  adminReportSchema,
  reportCreateSchema,
  reportResolveSchema,
  reportResponseSchema,
  suspensionResponseSchema,
  suspensionSchema,
} from "../../shared/api/reports.ts";
import {
  addMembersSchema,
  chatRoomCreateSchema,
  chatRoomResponseSchema,
  chatRoomUpdateSchema,
  myMembershipSchema,
  roomListQuerySchema,
  roomMemberSchema,
  roomSettingsSchema,
  setRoleSchema,
} from "../../shared/api/rooms.ts";
import { messageSearchQuerySchema, messageSearchResultSchema } from "../../shared/api/search.ts";
import { profileResponseSchema, profileUpdateSchema, userSearchQuerySchema, userSearchResultSchema } from "../../shared/api/users.ts";
import { contentFilterRulesSchema } from "../../shared/content-filter/index.ts";
import {
  adminDumpQuerySchema,
  adminLimitQuerySchema,
  adminReportsQuerySchema,
  adminRoomsQuerySchema,
  usernameParam,
} from "../admin/queries.ts";

interface Route {
  method: "get" | "post" | "put" | "delete";
  path: string;
  summary: string;
  body?: z.ZodType;
  /** The body is raw bytes (an upload), not JSON. */
  binaryBody?: true;
  /** The query string's schema. */
  query?: z.ZodObject;
  response?: z.ZodType;
  /** The answer is raw bytes of this kind (media), not JSON. */
  binaryResponse?: string;
  /** The answer is a Server-Sent Events stream whose events (`event` name, JSON `data`) this union describes. */
  eventStream?: z.ZodType;
  auth?: false;
}

// What each path parameter is; every other one is a UUID.
const PATH_PARAMS: Record<string, z.ZodType> = { username: usernameParam, emoji: reactionCreateSchema.shape.emoji };

const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** Every route of the API, with the zod schemas it parses and answers with. */
const ROUTES: Route[] = [
  {
    method: "post",
    path: "/auth/signup",
    summary: "Create an account",
    body: signupRequestSchema,
    response: sessionResponseSchema,
    auth: false,
  },
  { method: "post", path: "/auth/login", summary: "Log in", body: loginRequestSchema, response: sessionResponseSchema, auth: false },
  { method: "post", path: "/auth/logout", summary: "Revoke this session token" },
  { method: "get", path: "/users/me", summary: "My account", response: meResponseSchema },
  { method: "put", path: "/users/me", summary: "Edit my profile and privacy", body: profileUpdateSchema, response: meResponseSchema },
  {
    method: "get",
    path: "/users/search",
    summary: "People by username or display name prefix",
    query: userSearchQuerySchema,
    response: listOf(userSearchResultSchema),
  },
  { method: "get", path: "/users/{user_id}/profile", summary: "A user as I may see them", response: profileResponseSchema },
  {
    method: "get",
    path: "/chat/friends",
    summary: "My friends with presence",
    query: pageQuerySchema,
    response: listOf(friendResponseSchema),
  },
  { method: "delete", path: "/chat/friends/{user_id}", summary: "Unfriend" },
  {
    method: "get",
    path: "/chat/friends/suggestions",
    summary: "People my friends know, by mutual friends",
    query: suggestionQuerySchema,
    response: listOf(suggestionSchema),
  },
  {
    method: "get",
    path: "/chat/friends/blocked",
    summary: "Whom I blocked",
    query: pageQuerySchema,
    response: listOf(blockedUserSchema),
  },
  {
    method: "get",
    path: "/chat/friends/requests",
    summary: "Pending requests, received or sent",
    query: friendRequestListQuerySchema,
    response: listOf(friendRequestResponseSchema),
  },
  {
    method: "post",
    path: "/chat/friends/requests",
    summary: "Send a friend request (201), or accept theirs to me (200)",
    body: friendRequestCreateSchema,
    response: friendRequestResponseSchema,
  },
  {
    method: "put",
    path: "/chat/friends/requests/{id}",
    summary: "Accept or decline a request sent to me",
    body: friendRequestAnswerSchema,
    response: friendRequestResponseSchema,
  },
  { method: "delete", path: "/chat/friends/requests/{id}", summary: "Cancel my pending request" },
  { method: "post", path: "/chat/friends/block/{user_id}", summary: "Block a user" },
  {
    method: "post",
    path: "/media",
    summary: "Upload an image or file to a room (the body is its bytes; 201, or 200 for a retried id); 413/415/429 with a code",
    query: mediaUploadQuerySchema,
    binaryBody: true,
    response: mediaResponseSchema,
  },
  {
    method: "get",
    path: "/media/{media_id}",
    summary: "An upload's bytes (members of its room)",
    binaryResponse: "application/octet-stream",
  },
  {
    method: "get",
    path: "/media/{media_id}/thumbnail",
    summary: "An image's WebP thumbnail, at most 320 px a side (members of its room)",
    binaryResponse: "image/webp",
  },
  {
    method: "get",
    path: "/events",
    summary:
      "Live events for clients that do not speak Yjs (Server-Sent Events): resume with Last-Event-ID or ?since=; each event's `event` is its `type`, its `data` the JSON of `data`",
    query: eventsQuerySchema,
    eventStream: liveEventSchema,
  },
  {
    method: "post",
    path: "/chat/rooms/{room_id}/typing",
    summary: "Say I am typing (or not) in a room; lapses after a few seconds unless said again (204)",
    body: typingRequestSchema,
  },
  { method: "get", path: "/push/config", summary: "The VAPID public key to subscribe with", response: pushConfigResponseSchema },
  {
    method: "post",
    path: "/push/subscriptions",
    summary: "Subscribe this browser to Web Push (201; 200 when it already was); https endpoints only",
    body: pushSubscriptionCreateSchema,
    response: pushSubscriptionResponseSchema,
  },
  { method: "delete", path: "/push/subscriptions", summary: "Unsubscribe this browser (idempotent)", body: pushSubscriptionDeleteSchema },
  { method: "get", path: "/push/preferences", summary: "Which kinds of notification I get", response: pushPreferencesSchema },
  {
    method: "put",
    path: "/push/preferences",
    summary: "Turn kinds of notification on or off",
    body: pushPreferencesUpdateSchema,
    response: pushPreferencesSchema,
  },
  { method: "get", path: "/admin/rooms", summary: "Server admins: every room with sizes", query: adminRoomsQuerySchema },
  { method: "get", path: "/admin/rooms/{room_id}", summary: "Server admins: one room, its members and last messages" },
  {
    method: "get",
    path: "/admin/rooms/{room_id}/dump",
    summary: "Server admins: the room as JSON, now or at a past time",
    query: adminDumpQuerySchema,
  },
  {
    method: "get",
    path: "/admin/rooms/{room_id}/history",
    summary: "Server admins: the room's stored changes",
    query: adminLimitQuerySchema,
  },
  {
    method: "post",
    path: "/admin/rooms/{room_id}/messages/{message_id}/erase",
    summary: "Server admins: erase a message for good (every stored trace of its text)",
  },
  { method: "post", path: "/admin/verify", summary: "Server admins: check (and repair) the relational side against the documents" },
  { method: "post", path: "/admin/compact", summary: "Server admins: fold update logs into snapshots now" },
  { method: "post", path: "/admin/retention", summary: "Server admins: apply the history retention policy now" },
  { method: "put", path: "/admin/users/{username}/server-admin", summary: "Server admins: grant or revoke the server-admin role" },
  {
    method: "post",
    path: "/reports",
    summary: "Report a message or a person to the server admins",
    body: reportCreateSchema,
    response: reportResponseSchema,
  },
  {
    method: "get",
    path: "/admin/reports",
    summary: "Server admins: the report queue",
    query: adminReportsQuerySchema,
    response: listOf(adminReportSchema),
  },
  {
    method: "post",
    path: "/admin/reports/{report_id}/resolve",
    summary: "Server admins: dismiss a report, delete the message, or suspend the person",
    body: reportResolveSchema,
    response: adminReportSchema,
  },
  {
    method: "put",
    path: "/admin/users/{username}/suspension",
    summary: "Server admins: suspend a user for some hours (sessions end, login refused until it lapses)",
    body: suspensionSchema,
    response: suspensionResponseSchema,
  },
  {
    method: "delete",
    path: "/admin/users/{username}/suspension",
    summary: "Server admins: lift a suspension",
    response: suspensionResponseSchema,
  },
  {
    method: "get",
    path: "/content-filter",
    summary: "The content filter's words, patterns, blocked domains and default mode",
    response: contentFilterRulesSchema,
  },
  { method: "get", path: "/admin/audit", summary: "Server admins: every admin action, newest first", query: adminLimitQuerySchema },
  { method: "delete", path: "/chat/friends/block/{user_id}", summary: "Unblock a user" },
  {
    method: "get",
    path: "/chat/rooms",
    summary: "My rooms, newest activity first (archived=true|false: only archived ones, or only the rest)",
    query: roomListQuerySchema,
    response: listOf(chatRoomResponseSchema),
  },
  {
    method: "post",
    path: "/chat/rooms",
    summary: "Create a group, or get-or-create a direct room",
    body: chatRoomCreateSchema,
    response: chatRoomResponseSchema,
  },
  { method: "get", path: "/chat/rooms/{room_id}", summary: "One room", response: chatRoomResponseSchema },
  {
    method: "put",
    path: "/chat/rooms/{room_id}",
    summary: "Rename or describe a group (admins)",
    body: chatRoomUpdateSchema,
    response: chatRoomResponseSchema,
  },
  { method: "delete", path: "/chat/rooms/{room_id}", summary: "Leave a group, or archive a direct room for me" },
  {
    method: "put",
    path: "/chat/rooms/{room_id}/settings",
    summary: "Mute or archive for me",
    body: roomSettingsSchema,
    response: chatRoomResponseSchema,
  },
  { method: "post", path: "/chat/rooms/{room_id}/join", summary: "Join a public group", response: chatRoomResponseSchema },
  {
    method: "post",
    path: "/chat/rooms/{room_id}/members",
    summary: "Add members (admins)",
    body: addMembersSchema,
    response: chatRoomResponseSchema,
  },
  {
    method: "get",
    path: "/chat/rooms/{room_id}/members",
    summary:
      "Everyone who is or was in the room (left_at, removed_by for past members); a past member sees those who joined before they left",
    response: listOf(roomMemberSchema),
  },
  {
    method: "get",
    path: "/chat/rooms/{room_id}/membership",
    summary: "My membership of a room I am or was in: member, left, or removed (and by whom)",
    response: myMembershipSchema,
  },
  { method: "delete", path: "/chat/rooms/{room_id}/members/{user_id}", summary: "Remove a member (admins) or leave" },
  {
    method: "put",
    path: "/chat/rooms/{room_id}/members/{user_id}",
    summary: "Change a member's role (admins)",
    body: setRoleSchema,
    response: chatRoomResponseSchema,
  },
  {
    method: "get",
    path: "/chat/messages/search",
    summary: "Full-text search of my rooms' messages (room_id: one room), newest first; each word matches a word's beginning",
    query: messageSearchQuerySchema,
    response: listOf(messageSearchResultSchema),
  },
  {
    method: "get",
    path: "/chat/messages/{room_id}",
    summary: "A page of messages, oldest first",
    query: pageQuerySchema,
    response: listOf(messageResponseSchema),
  },
  {
    method: "post",
    path: "/chat/messages/{room_id}",
    summary: "Send a message",
    body: messageCreateSchema,
    response: messageResponseSchema,
  },
  {
    method: "put",
    path: "/chat/messages/{message_id}",
    summary: "Edit my message",
    body: messageEditSchema,
    response: messageResponseSchema,
  },
  { method: "delete", path: "/chat/messages/{message_id}", summary: "Delete a message (sender, room admin, server admin)" },
  { method: "post", path: "/chat/messages/{message_id}/read", summary: "Move my read marker forward" },
  {
    method: "post",
    path: "/chat/messages/{message_id}/reactions",
    summary: "React",
    body: reactionCreateSchema,
    response: messageResponseSchema,
  },
  {
    method: "delete",
    path: "/chat/messages/{message_id}/reactions/{emoji}",
    summary: "Take my reaction back",
    response: messageResponseSchema,
  },
];

const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { unrepresentable: "any", io: "input" });
const json = (schema: z.ZodType) => ({ "application/json": { schema: jsonSchema(schema) } });

/** The OpenAPI 3.1 description of the REST API, generated from the same zod schemas the routes parse with. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const full = `/api/v1${route.path}`;
    const parameters: unknown[] = [...full.matchAll(/\{(\w+)\}/g)].map(([, name = ""]) => ({
      name,
      in: "path",
      required: true,
      schema: jsonSchema(PATH_PARAMS[name] ?? uuidParam),
    }));
    for (const [name, schema] of Object.entries(route.query?.shape ?? {})) {
      parameters.push({
        name,
        in: "query",
        required: !(schema as z.ZodType).safeParse(undefined).success,
        schema: jsonSchema(schema as z.ZodType),
      });
    }
    paths[full] ??= {};
    (paths[full] as Record<string, unknown>)[route.method] = {
      summary: route.summary,
      ...(route.auth === false ? { security: [] } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: true, content: json(route.body) } } : {}),
      ...(route.binaryBody
        ? { requestBody: { required: true, content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } } } }
        : {}),
      responses: {
        "2XX": route.response
          ? { description: "OK", content: json(route.response) }
          : route.eventStream
            ? { description: "A stream of events", content: { "text/event-stream": { schema: jsonSchema(route.eventStream) } } }
            : route.binaryResponse
              ? { description: "OK", content: { [route.binaryResponse]: { schema: { type: "string", format: "binary" } } } }
              : { description: "OK" },
        "4XX": { description: "The request was refused; `code` says why", content: json(errorSchema) },
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Local-first chat", version: String(API_VERSION) },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    security: [{ bearer: [] }],
    paths,
  };
}
