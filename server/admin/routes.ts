import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { uuidParam } from "../../shared/api/common.ts";
import { reportResolveSchema, suspensionSchema } from "../../shared/api/reports.ts";
import type { AppContext } from "../app-context.ts";
import { bearerToken, requireUser } from "../auth/require-user.ts";
import type { ClusterEvent } from "../cluster/bus.ts";
import { HttpError } from "../http/http-error.ts";
import { parse } from "../http/parse.ts";
import { AdminOperations, Conflict, type ModeratorDelete, NotFound } from "./operations.ts";
import { adminDumpQuerySchema, adminLimitQuerySchema, adminReportsQuerySchema, adminRoomsQuerySchema, usernameParam } from "./queries.ts";

/** /api/v1/admin: the operator views of the stored data, for server admins only, every call audited. */
export function adminRoutes(app: FastifyInstance, { db, bus, hocuspocus, operatorToken, config, rooms, media }: AppContext): void {
  // Moderation deletes go through the live document: members see them at once, like any delete.
  const deleteLive: ModeratorDelete = async (roomId, messageId, actorUserId) => {
    const found = await rooms.write(roomId, { origin: "server", userId: actorUserId, connectionId: null }, "moderator_delete", {
      message_id: messageId,
      actor_id: actorUserId,
    });
    if (!found) throw new NotFound(`Room ${roomId} has no message ${messageId}.`);
  };
  async function operations(request: FastifyRequest): Promise<AdminOperations> {
    const publish = (event: ClusterEvent) => bus.publish(event);
    // The admin CLI on this machine, when this server holds the embedded database.
    if (operatorToken?.matches(bearerToken(request))) {
      const operator = String(request.headers["x-operator"] ?? "operator").slice(0, 64);
      return new AdminOperations(db, { name: `cli:${operator}`, userId: null }, publish, deleteLive, media.store);
    }
    const user = await requireUser(db, request);
    if (!user.is_server_admin) throw new HttpError("forbidden", "Only server admins may use the admin API.");
    return new AdminOperations(db, { name: `user:${user.username}`, userId: user.id }, publish, deleteLive, media.store);
  }
  const roomIdOf = (request: FastifyRequest) => parse(uuidParam, (request.params as { room_id?: unknown }).room_id, "path.room_id");
  const notFoundAsHttp = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof NotFound) throw new HttpError("not_found", error.message);
      if (error instanceof Conflict) throw new HttpError(error.code, error.message);
      throw error;
    }
  };

  app.get("/api/v1/admin/rooms", async (request) => {
    const ops = await operations(request);
    return { items: await ops.rooms(parse(adminRoomsQuerySchema, request.query, "query")), next_cursor: null };
  });

  app.get("/api/v1/admin/rooms/:room_id", async (request) => {
    const ops = await operations(request);
    const roomId = roomIdOf(request);
    const room = await notFoundAsHttp(() => ops.room(roomId));
    // Who has the room open now, on this process (each process answers for its own sockets).
    const connected = new Set<string>();
    for (const connection of hocuspocus.documents.get(`room:${roomId}`)?.getConnections() ?? []) {
      const user = (connection.context as { user?: { username: string } }).user;
      if (user) connected.add(user.username);
    }
    return { ...room, connected: [...connected].sort() };
  });

  app.get("/api/v1/admin/rooms/:room_id/dump", async (request) => {
    const ops = await operations(request);
    const { at } = parse(adminDumpQuerySchema, request.query, "query");
    return notFoundAsHttp(() => ops.dump(roomIdOf(request), at ? new Date(at) : undefined));
  });

  app.get("/api/v1/admin/rooms/:room_id/history", async (request) => {
    const ops = await operations(request);
    const { limit } = parse(adminLimitQuerySchema, request.query, "query");
    return { items: await notFoundAsHttp(() => ops.history(roomIdOf(request), limit)), next_cursor: null };
  });

  app.post("/api/v1/admin/rooms/:room_id/messages/:message_id/erase", async (request) => {
    const ops = await operations(request);
    const messageId = parse(uuidParam, (request.params as { message_id?: unknown }).message_id, "path.message_id");
    return notFoundAsHttp(() => ops.erase(roomIdOf(request), messageId));
  });

  app.post("/api/v1/admin/verify", async (request) => {
    const ops = await operations(request);
    const body = parse(z.strictObject({ room_id: z.uuid().optional(), repair: z.boolean().default(false) }), request.body);
    return notFoundAsHttp(() => ops.verify(body.room_id, body.repair));
  });

  app.post("/api/v1/admin/compact", async (request) => {
    const ops = await operations(request);
    const body = parse(z.strictObject({ room_id: z.uuid().optional() }), request.body);
    return { items: await notFoundAsHttp(() => ops.compact(body.room_id)), next_cursor: null };
  });

  app.post("/api/v1/admin/retention", async (request) => {
    const ops = await operations(request);
    const body = parse(z.strictObject({ days: z.number().positive().optional() }), request.body);
    return ops.retention(body.days ?? config.HISTORY_RETENTION_DAYS);
  });

  app.put("/api/v1/admin/users/:username/server-admin", async (request) => {
    const ops = await operations(request);
    const username = parse(usernameParam, (request.params as { username?: unknown }).username, "path.username");
    const { is_server_admin } = parse(z.strictObject({ is_server_admin: z.boolean() }), request.body);
    await notFoundAsHttp(() => ops.setAdmin(username, is_server_admin));
    return { username, is_server_admin };
  });

  app.get("/api/v1/admin/audit", async (request) => {
    const ops = await operations(request);
    const { limit } = parse(adminLimitQuerySchema, request.query, "query");
    return { items: await ops.audit(limit), next_cursor: null };
  });

  const usernameOf = (request: FastifyRequest) =>
    parse(usernameParam, (request.params as { username?: unknown }).username, "path.username");

  app.get("/api/v1/admin/reports", async (request) => {
    const ops = await operations(request);
    const { status, limit } = parse(adminReportsQuerySchema, request.query, "query");
    return { items: await ops.reports(status, limit), next_cursor: null };
  });

  app.post("/api/v1/admin/reports/:report_id/resolve", async (request) => {
    const ops = await operations(request);
    const reportId = parse(uuidParam, (request.params as { report_id?: unknown }).report_id, "path.report_id");
    const body = parse(reportResolveSchema, request.body);
    return notFoundAsHttp(() => ops.resolveReport(reportId, body));
  });

  app.put("/api/v1/admin/users/:username/suspension", async (request) => {
    const ops = await operations(request);
    const body = parse(suspensionSchema, request.body);
    return notFoundAsHttp(() => ops.suspend(usernameOf(request), body.hours, body.reason));
  });

  app.delete("/api/v1/admin/users/:username/suspension", async (request) => {
    const ops = await operations(request);
    return notFoundAsHttp(() => ops.unsuspend(usernameOf(request)));
  });
}
