import type { ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import { uuidParam } from "../../shared/api/common.ts";
import { eventsQuerySchema, typingRequestSchema } from "../../shared/api/events.ts";
import type { AppContext } from "../app-context.ts";
import { bearerToken, requireUser } from "../auth/require-user.ts";
import { sessionIdOf } from "../auth/sessions.ts";
import { HttpError } from "../http/http-error.ts";
import { parse } from "../http/parse.ts";
import { isReadOnlyDirectRoom } from "../rooms/blocking.ts";
import { isCurrentMember } from "../rooms/membership.ts";
import type { EventStream } from "./event-stream.ts";
import { type Cursor, decodeCursor } from "./journal.ts";

/** How long a client waits before reconnecting, told in the stream (SSE `retry`). */
const RETRY_MS = 1_000;

/**
 * Writes to many responses, flushed together: a response written to is corked until the next
 * turn of the event loop (or `windowMs` later), so what one read of the journal sends to a stream
 * leaves in one write, not one per event. The writes (syscalls), not the events, are what a
 * thousand streams cost.
 */
class Flusher {
  private readonly corked = new Set<ServerResponse>();
  private scheduled = false;

  constructor(private readonly windowMs: () => number) {}

  write(res: ServerResponse, chunk: string): void {
    if (!this.corked.has(res)) {
      res.cork();
      this.corked.add(res);
    }
    res.write(chunk);
    if (this.scheduled) return;
    this.scheduled = true;
    const flush = () => {
      this.scheduled = false;
      const corked = [...this.corked];
      this.corked.clear();
      for (const r of corked) r.uncork();
    };
    const windowMs = this.windowMs();
    if (windowMs > 0) setTimeout(flush, windowMs).unref();
    else setImmediate(flush);
  }
}

/** GET /api/v1/events (the live event stream) and POST /api/v1/chat/rooms/{room_id}/typing. */
export function eventRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db, events } = ctx;
  app.addHook("onClose", async () => events.stop());
  const flusher = new Flusher(() => events.options.flushWindowMs);

  app.get("/api/v1/events", async (request, reply) => {
    const me = await requireUser(db, request);
    const query = parse(eventsQuerySchema, request.query, "query");
    const header = request.headers["last-event-id"];
    const given = (Array.isArray(header) ? header[0] : header) || query.since;
    let since: Cursor | null = null;
    if (given) {
      since = decodeCursor(given);
      if (!since) throw new HttpError("invalid_request", "Last-Event-ID / query.since: not an event id this server made.");
    }
    await events.ready;

    reply.hijack();
    const res = reply.raw;
    let stream: EventStream | null = null;
    let gone = false;
    res.once("close", () => {
      gone = true;
      stream?.close("client_gone");
    });
    // The status and headers go with the first bytes, once the stream is registered: a client
    // that sees it open already hears typing and presence.
    const sink = {
      write: (chunk: string) => {
        if (!res.headersSent) {
          res.writeHead(200, {
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-cache, no-transform",
            connection: "keep-alive",
            // Proxies such as nginx must pass each event on as it comes.
            "x-accel-buffering": "no",
          });
          res.write(`retry: ${RETRY_MS}\n\n`);
        }
        flusher.write(res, chunk);
        return res.writableLength;
      },
      // After the flusher's turn: wait for "drain" only when the socket asked for it.
      drained: () =>
        new Promise<void>((resolve) => {
          setImmediate(() => {
            if (res.destroyed || !res.writableNeedDrain) return resolve();
            const done = () => {
              res.off("drain", done);
              res.off("close", done);
              resolve();
            };
            res.on("drain", done);
            res.on("close", done);
          });
        }),
      // A reader cut off for being slow has megabytes queued: drop them rather than flush.
      close: () => res.destroy(),
    };
    try {
      stream = await events.open(me.id, sessionIdOf(bearerToken(request)), since, sink);
      if (gone) stream.close("client_gone");
      else sink.write(": connected\n\n");
    } catch (err) {
      request.log.warn({ err }, "event stream: could not open");
      stream?.close("error");
      if (res.headersSent) res.destroy();
      else {
        // The database could not be read: the client retries, as after any dropped stream.
        res.writeHead(503, { "content-type": "application/json", "retry-after": "1" });
        res.end(JSON.stringify({ error: { code: "service_unavailable", message: "The event stream could not be opened: try again." } }));
      }
    }
  });

  app.post("/api/v1/chat/rooms/:room_id/typing", async (request, reply) => {
    const me = await requireUser(db, request);
    const roomId = parse(uuidParam, (request.params as { room_id?: string }).room_id, "room_id");
    const { typing } = parse(typingRequestSchema, request.body);
    if (!(await isCurrentMember(db, roomId, me.id))) throw new HttpError("not_a_member", "You are not a member of this room.");
    if (await isReadOnlyDirectRoom(db, roomId)) throw new HttpError("blocked", "Nobody writes in this room.");
    await events.typing.restTyping(roomId, { id: me.id, name: me.display_name ?? me.username }, typing);
    reply.code(204);
  });
}
