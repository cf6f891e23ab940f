import type { FastifyInstance } from "fastify";
import { RateLimiterRes } from "rate-limiter-flexible";
import { pageQuerySchema, uuidParam } from "../../shared/api/common.ts";
import {
  friendRequestAnswerSchema,
  friendRequestCreateSchema,
  friendRequestListQuerySchema,
  suggestionQuerySchema,
} from "../../shared/api/friends.ts";
import type { AppContext } from "../app-context.ts";
import { requireUser } from "../auth/require-user.ts";
import { HttpError } from "../http/http-error.ts";
import { parse } from "../http/parse.ts";
import { block, listBlocked, unblock } from "./blocks.ts";
import { listFriends, unfriend } from "./friendships.ts";
import { answerFriendRequest, cancelFriendRequest, listPendingRequests, sendFriendRequest } from "./requests.ts";
import { suggestFriends } from "./suggestions.ts";

const idParam = (params: unknown, name: "user_id" | "id") => parse(uuidParam, (params as Record<string, unknown>)[name], `path.${name}`);

function orForeignCursor<T>(page: T | null): T {
  if (!page) throw new HttpError("invalid_request", "query.before: not a cursor this server made.");
  return page;
}

/** /api/v1/chat/friends: friends, friend requests, suggestions and blocks (docs/social-graph.md). */
export function friendRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db, feed, config } = ctx;

  app.get("/api/v1/chat/friends", async (request) => {
    const me = await requireUser(db, request);
    return orForeignCursor(await listFriends(db, me.id, parse(pageQuerySchema, request.query, "query")));
  });

  app.delete("/api/v1/chat/friends/:user_id", async (request, reply) => {
    const me = await requireUser(db, request);
    const them = idParam(request.params, "user_id");
    if (!(await db.transaction((tx) => unfriend(tx, me.id, them)))) throw new HttpError("not_friends", "You are not friends.");
    await feed.usersChanged([me.id, them]);
    reply.code(204);
  });

  app.get("/api/v1/chat/friends/suggestions", async (request) => {
    const me = await requireUser(db, request);
    const { limit } = parse(suggestionQuerySchema, request.query, "query");
    return { items: await suggestFriends(db, me.id, limit), next_cursor: null };
  });

  app.get("/api/v1/chat/friends/blocked", async (request) => {
    const me = await requireUser(db, request);
    return orForeignCursor(await listBlocked(db, me.id, parse(pageQuerySchema, request.query, "query")));
  });

  app.get("/api/v1/chat/friends/requests", async (request) => {
    const me = await requireUser(db, request);
    return orForeignCursor(await listPendingRequests(db, me.id, parse(friendRequestListQuerySchema, request.query, "query")));
  });

  app.post("/api/v1/chat/friends/requests", async (request, reply) => {
    const me = await requireUser(db, request);
    const body = parse(friendRequestCreateSchema, request.body);
    if (body.requestee_id === me.id) throw new HttpError("request_to_self", "You cannot send a friend request to yourself.");
    try {
      await ctx.friendRequestLimiter.consume(me.id);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      const wait = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      throw new HttpError("rate_limited", `Too many friend requests. Try again in ${wait} s.`, { "retry-after": String(wait) });
    }
    const outcome = await db.transaction((tx) =>
      sendFriendRequest(tx, me.id, body.requestee_id, body.message ?? null, config.FRIEND_REQUEST_COOLDOWN_HOURS),
    );
    await feed.usersChanged([me.id, body.requestee_id]);
    if (outcome.created) ctx.push.onFriendRequest(body.requestee_id, me.id);
    reply.code(outcome.created ? 201 : 200);
    return outcome.request;
  });

  app.put("/api/v1/chat/friends/requests/:id", async (request) => {
    const me = await requireUser(db, request);
    const id = idParam(request.params, "id");
    const { status } = parse(friendRequestAnswerSchema, request.body);
    const answered = await db.transaction((tx) => answerFriendRequest(tx, me.id, id, status));
    await feed.usersChanged([answered.requester_id, answered.requestee_id]);
    return answered;
  });

  app.delete("/api/v1/chat/friends/requests/:id", async (request, reply) => {
    const me = await requireUser(db, request);
    const id = idParam(request.params, "id");
    const cancelled = await db.transaction((tx) => cancelFriendRequest(tx, me.id, id));
    await feed.usersChanged([cancelled.requester_id, cancelled.requestee_id]);
    reply.code(204);
  });

  app.post("/api/v1/chat/friends/block/:user_id", async (request, reply) => {
    const me = await requireUser(db, request);
    const them = idParam(request.params, "user_id");
    await db.transaction((tx) => block(tx, me.id, them));
    await ctx.bus.publish({ type: "block_changed", userIds: [me.id, them] });
    await feed.usersChanged([me.id, them]);
    reply.code(204);
  });

  app.delete("/api/v1/chat/friends/block/:user_id", async (request, reply) => {
    const me = await requireUser(db, request);
    const them = idParam(request.params, "user_id");
    await db.transaction((tx) => unblock(tx, me.id, them));
    await ctx.bus.publish({ type: "block_changed", userIds: [me.id, them] });
    await feed.usersChanged([me.id]);
    reply.code(204);
  });
}
