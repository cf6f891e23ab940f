import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { uuidParam } from "../../shared/api/common.ts";
import type { AppContext } from "../app-context.ts";
import { requireUser } from "../auth/require-user.ts";
import { HttpError } from "../http/http-error.ts";
import { parse } from "../http/parse.ts";
import { AdminOperations, NotFound } from "./operations.ts";
import { ROOM_SORTS } from "./room-report.ts";

const roomsQuery = z.strictObject({
  sort: z.enum(ROOM_SORTS).default("activity"),
  type: z.enum(["direct", "group"]).optional(),
  name: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
const dumpQuery = z.strictObject({ at: z.iso.datetime({ offset: true }).optional() });
const limitQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

/** /api/v1/admin: the operator views of the stored data, for server admins only, every call audited. */
export function adminRoutes(app: FastifyInstance, { db, bus, hocuspocus }: AppContext): void {
  async function operations(request: FastifyRequest): Promise<AdminOperations> {
    const user = await requireUser(db, request);
    if (!user.is_server_admin) throw new HttpError("forbidden", "Only server admins may use the admin API.");
    return new AdminOperations(db, { name: `user:${user.username}`, userId: user.id }, (event) => bus.publish(event));
  }
  const roomIdOf = (request: FastifyRequest) => parse(uuidParam, (request.params as { room_id?: unknown }).room_id, "path.room_id");
  const notFoundAsHttp = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof NotFound) throw new HttpError("not_found", error.message);
      throw error;
    }
  };

  app.get("/api/v1/admin/rooms", async (request) => {
    const ops = await operations(request);
    return { items: await ops.rooms(parse(roomsQuery, request.query, "query")), next_cursor: null };
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
    const { at } = parse(dumpQuery, request.query, "query");
    return notFoundAsHttp(() => ops.dump(roomIdOf(request), at ? new Date(at) : undefined));
  });

  app.get("/api/v1/admin/rooms/:room_id/history", async (request) => {
    const ops = await operations(request);
    const { limit } = parse(limitQuery, request.query, "query");
    return { items: await notFoundAsHttp(() => ops.history(roomIdOf(request), limit)), next_cursor: null };
  });

  app.post("/api/v1/admin/rooms/:room_id/messages/:message_id/erase", async (request) => {
    const ops = await operations(request);
    const messageId = parse(uuidParam, (request.params as { message_id?: unknown }).message_id, "path.message_id");
    return notFoundAsHttp(() => ops.erase(roomIdOf(request), messageId));
  });

  app.get("/api/v1/admin/audit", async (request) => {
    const ops = await operations(request);
    const { limit } = parse(limitQuery, request.query, "query");
    return { items: await ops.audit(limit), next_cursor: null };
  });
}
