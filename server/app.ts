import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import Fastify, { type FastifyBaseLogger, LogController } from "fastify";
import { OperatorToken } from "./admin/operator-token.ts";
import { scheduleRetention } from "./admin/retention-schedule.ts";
import { adminRoutes } from "./admin/routes.ts";
import type { AppContext } from "./app-context.ts";
import { LoginLimiter } from "./auth/login-limiter.ts";
import { authRoutes } from "./auth/routes.ts";
import { type ClusterBus, localBus, postgresBus } from "./cluster/bus.ts";
import { ProcessMode } from "./cluster/process-mode.ts";
import { RedisLink } from "./cluster/redis-link.ts";
import { RoomLeases } from "./cluster/room-leases.ts";
import type { Config } from "./config.ts";
import { loadContentFilterRules } from "./content-filter/load-rules.ts";
import { RoomContentFilter } from "./content-filter/room-filter.ts";
import { contentFilterRoutes } from "./content-filter/routes.ts";
import { countingQueries } from "./db/counted.ts";
import { migrateUp, pendingMigrations } from "./db/migrate.ts";
import { openDatabase } from "./db/open.ts";
import { postgresRateLimiter } from "./db/postgres-rate-limiter.ts";
import { sqlDocumentStore } from "./documents/document-store.ts";
import { LiveEvents } from "./events/live-events.ts";
import { eventRoutes } from "./events/routes.ts";
import { friendRoutes } from "./friends/routes.ts";
import { installErrorHandler, onFrameworkError } from "./http/error-handler.ts";
import { openApiDocument } from "./http/openapi.ts";
import type { Logger } from "./logger.ts";
import { scheduleMediaCleanup } from "./media/cleanup.ts";
import { MediaLibrary, openMediaStore } from "./media/media-library.ts";
import { mediaRoutes } from "./media/routes.ts";
import { reissueInLiveSegment } from "./messages/reissue.ts";
import { messageRoutes } from "./messages/routes.ts";
import { Metrics } from "./metrics.ts";
import { reportRoutes } from "./moderation/routes.ts";
import { Presence } from "./presence/presence.ts";
import { PushNotifications } from "./push/push-notifications.ts";
import { pushRoutes } from "./push/routes.ts";
import { roomRoutes } from "./rooms/routes.ts";
import { MessageRateLimiter } from "./sync/message-rate.ts";
import { RoomDocuments } from "./sync/room-documents.ts";
import { createSyncServer } from "./sync/sync-server.ts";
import { UpdateLogWriter } from "./sync/update-log-writer.ts";
import { attachWebSocket, SYNC_PATH } from "./sync/websocket.ts";
import { userRoutes } from "./users/routes.ts";

const clientDist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../dist/client");

// JSON bodies above this are refused with 413 before they are parsed.
const MAX_BODY_BYTES = 256 * 1024;

/** A running server: its address and how to stop it cleanly. */
export interface RunningServer {
  url: string;
  port: number;
  context: AppContext;
  /** Every HTTP route registered, as `METHOD /path/{param}` (the OpenAPI test checks each is described). */
  routes: string[];
  stop(): Promise<void>;
}

/**
 * Open the database, migrate it, and serve REST, the Hocuspocus WebSocket and the web app on one
 * port. Everything the process holds is released by `stop`.
 */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  // Read first: a bad rule stops the start before anything is opened.
  const filterRules = loadContentFilterRules(config);
  const { db, counts: queryCounts } = countingQueries(await openDatabase(config));
  try {
    const applied = await migrateUp(db, (m) => logger.debug({ migration: m }, "migration"));
    logger.info({ backend: db.kind, applied }, "database ready");
  } catch (error) {
    await db.close();
    throw error;
  }
  // Several processes on one PostgreSQL only together through Redis; one alone holds it exclusively.
  let mode: ProcessMode | null = null;
  let link: RedisLink | null = null;
  try {
    if (db.kind === "postgres" && config.DATABASE_URL) {
      mode = await ProcessMode.take(config.DATABASE_URL, config.REDIS_URL !== undefined, (err) =>
        logger.warn({ err }, "process mode: the locked connection was lost; taking the lock again"),
      );
      if (config.REDIS_URL) {
        const { rows } = await db.query<{ name: string }>("SELECT current_database() AS name");
        link = await RedisLink.open(config.REDIS_URL, `chat:${rows[0]?.name ?? "chat"}:`, (err) =>
          logger.warn({ err }, "redis: connection error (reconnecting)"),
        );
      }
    } else if (config.REDIS_URL) {
      logger.warn("REDIS_URL is ignored: the embedded database serves one process");
    }
  } catch (error) {
    await link?.close();
    await mode?.close();
    await db.close();
    throw error;
  }
  const bus: ClusterBus =
    db.kind === "postgres" && config.DATABASE_URL
      ? await postgresBus(config.DATABASE_URL, (err) => logger.error({ err }, "cluster bus error"))
      : localBus((err) => logger.error({ err }, "cluster event handler failed"));
  const metrics = new Metrics();
  const store = sqlDocumentStore(db);
  const log = new UpdateLogWriter(db, store);
  const leases = link ? new RoomLeases(db, randomUUID()) : null;
  if (leases) log.fence = (tx, held) => leases.fence(tx, held);
  log.onCommit = (seconds) => metrics.storeCommitSeconds.observe(seconds);
  log.onWaitingForDatabase = (err) => logger.warn({ err }, "database unreachable: holding acknowledgements until it is back");
  const messageRate = new MessageRateLimiter(
    db,
    {
      perUserPerMinute: config.MESSAGES_PER_MINUTE,
      perUserPerTenMinutes: config.MESSAGES_ABUSE_PER_TEN_MINUTES,
      perRoomPerMinute: config.MESSAGES_PER_ROOM_PER_MINUTE,
      disabled: config.UNSAFE_SKIP_MESSAGE_RATE_LIMITS,
    },
    (err) => logger.warn({ err }, "message rate counters: could not share them (kept, tried again)"),
  );
  if (config.UNSAFE_SKIP_MESSAGE_RATE_LIMITS)
    logger.warn("UNSAFE_SKIP_MESSAGE_RATE_LIMITS: message rates are NOT limited (benchmarks only)");
  const contentFilter = new RoomContentFilter(db, filterRules);
  const presence = new Presence(db, bus, logger, config.PRESENCE_HEARTBEAT_SECONDS);
  await presence.start();
  const push = await PushNotifications.start(db, config, logger);
  if (config.UNSAFE_SKIP_UPDATE_VALIDATION)
    logger.warn("UNSAFE_SKIP_UPDATE_VALIDATION: WebSocket updates are NOT validated (benchmarks only)");
  const {
    hocuspocus,
    writer,
    persistence,
    feed,
    replication,
    rooms: loadedRooms,
    gate,
  } = createSyncServer({
    db,
    store,
    log,
    bus,
    logger,
    messageRate,
    presence,
    contentFilter,
    metrics,
    skipValidation: config.UNSAFE_SKIP_UPDATE_VALIDATION,
    compactAfterUpdates: config.COMPACT_AFTER_UPDATES,
    onMessagesAccepted: (roomId, accepted) => push.onMessagesAccepted(roomId, accepted),
    cluster: link && leases ? { link, leases } : undefined,
  });
  await replication?.start();
  const context: AppContext = {
    config,
    db,
    logger,
    bus,
    store,
    log,
    hocuspocus,
    loginLimiter: new LoginLimiter(db, config.LOGIN_MAX_FAILURES, config.LOGIN_WINDOW_SECONDS),
    rooms: new RoomDocuments(hocuspocus, writer, loadedRooms, replication, db),
    messageRate,
    feed,
    push,
    friendRequestLimiter: postgresRateLimiter(db, "friend_requests", config.FRIEND_REQUESTS_PER_HOUR, 3600),
    reportLimiter: postgresRateLimiter(db, "reports", config.REPORTS_PER_HOUR, 3600),
    contentFilter,
    media: new MediaLibrary(
      db,
      openMediaStore(config),
      postgresRateLimiter(db, "uploads", config.MEDIA_UPLOADS_PER_HOUR, 3600),
      config,
      logger.child({ part: "media" }),
    ),
    metrics,
    events: new LiveEvents({ db, bus, logger: logger.child({ part: "events" }), hocuspocus, presence }),
    operatorToken: db.kind === "pglite" ? new OperatorToken(config.dataDir) : null,
  };
  // A room's live segment fills and is sealed by its writer; the head then names the next one.
  writer.segments = {
    of: (document) => {
      const room = loadedRooms.get(document.name, document);
      return room && { segment: room.segment, firstSeq: room.firstSeq };
    },
    sealAt: config.SEGMENT_MESSAGES,
    sealed: (roomId, next) => {
      context.rooms
        .write(roomId, { origin: "server", userId: null, connectionId: null }, "set_live_segment", { segment: next })
        // The relational side already says it, and the head is told again when it next loads.
        .catch((err: unknown) => logger.warn({ err, room_id: roomId, segment: next }, "could not name the live segment in the head"));
    },
  };
  gate.reissue = (roomId, author, created) => reissueInLiveSegment(db, context.rooms, roomId, author, created);
  // Each commit of the update log may have journaled events (server/sync/room-effects.ts): wake the streams.
  const observeCommit = log.onCommit;
  log.onCommit = (seconds) => {
    observeCommit(seconds);
    context.events.announce();
  };

  const app = Fastify({
    loggerInstance: logger.child({ part: "http" }) as FastifyBaseLogger,
    bodyLimit: MAX_BODY_BYTES,
    // A path that does not decode, or an id over the router's length limit, answers in our envelope.
    frameworkErrors: onFrameworkError,
    // Stopping ends every connection, as it ends every WebSocket: a keep-alive socket whose last
    // response was a streamed file could otherwise hold app.close() open (seen in the media tests).
    forceCloseConnections: true,
    // One line per request would drown the sync server's logs; errors are logged by the handler.
    logController: new LogController({ disableRequestLogging: true }),
  });
  installErrorHandler(app, logger, { appShell: fs.existsSync(clientDist) });
  const routes: string[] = [];
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) routes.push(`${method} ${route.url.replace(/:(\w+)/g, "{$1}")}`);
  });
  // Liveness plus the update log's group-commit counters (entries per commit shows the batching)
  // and the statements sent to the database (the benchmark's queries per message).
  app.get("/api/v1/health", async () => ({ ok: true, backend: db.kind, update_log: log.stats, database: queryCounts }));
  // Readiness for orchestrators: the database answers and its schema is this build's.
  // With several processes it also says whether this one reaches Redis and what it sequences:
  // a process cut off from Redis answers 503, so the load balancer sends its clients elsewhere.
  app.get("/healthz", async (_request, reply) => {
    const cluster = replication &&
      link &&
      mode && { redis: link.connected ? "reachable" : "unreachable", mode_lock_held: mode.held, rooms: replication.counts() };
    try {
      const pending = await pendingMigrations(db);
      if (pending.length > 0) return reply.code(503).send({ ok: false, database: "reachable", pending_migrations: pending, cluster });
      if (cluster && cluster.redis !== "reachable")
        return reply.code(503).header("retry-after", "5").send({ ok: false, database: "reachable", pending_migrations: [], cluster });
      return { ok: true, database: "reachable", pending_migrations: [], cluster };
    } catch (err) {
      logger.warn({ err }, "health check: database unreachable");
      return reply.code(503).header("retry-after", "5").send({ ok: false, database: "unreachable" });
    }
  });
  app.get("/metrics", async (_request, reply) => {
    reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  const openApi = openApiDocument();
  app.get("/api/v1/openapi.json", async () => openApi);
  authRoutes(app, context);
  userRoutes(app, context);
  roomRoutes(app, context);
  messageRoutes(app, context);
  friendRoutes(app, context);
  pushRoutes(app, context);
  adminRoutes(app, context);
  contentFilterRoutes(app, context);
  reportRoutes(app, context);
  mediaRoutes(app, context);
  eventRoutes(app, context);
  if (fs.existsSync(clientDist)) {
    // Unknown non-API paths get the app's shell from the not-found handler (installErrorHandler).
    await app.register(fastifyStatic, { root: clientDist, wildcard: false });
  }
  const wss = attachWebSocket(app.server, hocuspocus);
  const retention = scheduleRetention(db, config.HISTORY_RETENTION_DAYS, logger);
  const mediaCleanup = scheduleMediaCleanup(
    db,
    context.media.store,
    { minutes: config.MEDIA_CLEANUP_INTERVAL_MINUTES, unattachedHours: config.MEDIA_UNATTACHED_HOURS },
    logger.child({ part: "media" }),
    (removed) => metrics.mediaRemoved.inc(removed),
  );
  metrics.watch({
    connections: () => wss.clients.size,
    openDocuments: () => hocuspocus.documents.size,
    logEntries: async () => {
      const { rows } = await db.query<{ n: string | number }>(
        "SELECT GREATEST(reltuples, 0)::bigint AS n FROM pg_class WHERE relname = 'document_updates'",
      );
      return Number(rows[0]?.n ?? 0);
    },
    cluster: replication && link ? () => ({ ...replication.counts(), redisConnected: link.connected }) : undefined,
  });

  await app.listen({ port: config.PORT, host: config.HOST });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.PORT;
  const url = `http://localhost:${port}`;
  context.operatorToken?.publish(`http://127.0.0.1:${port}`);
  logger.info({ url, websocket: `ws://localhost:${port}${SYNC_PATH}`, backend: db.kind }, `listening on ${url}`);

  let stopping: Promise<void> | null = null;
  return {
    url,
    port,
    context,
    routes,
    stop() {
      stopping ??= (async () => {
        clearInterval(retention);
        clearInterval(mediaCleanup);
        context.operatorToken?.remove();
        // Closed first, so a client reconnecting while the HTTP server closes is turned away (503)
        // instead of holding a fresh socket that app.close() would wait on forever.
        wss.close();
        for (const client of wss.clients) client.terminate();
        await app.close();
        await log.drain();
        // Handed over at once rather than when the leases expire.
        await replication?.releaseAll();
        hocuspocus.closeConnections();
        await push.stop();
        context.media.close();
        await presence.stop().catch((err: unknown) => logger.warn({ err }, "presence: could not sign off"));
        await persistence.close();
        await messageRate.counters.close();
        await replication?.close();
        await link?.close();
        await bus.close();
        await mode?.close();
        await db.close();
      })();
      return stopping;
    },
  };
}
