import type { Hocuspocus } from "@hocuspocus/server";
import type { RateLimiterPostgres } from "rate-limiter-flexible";
import type { OperatorToken } from "./admin/operator-token.ts";
import type { LoginLimiter } from "./auth/login-limiter.ts";
import type { ClusterBus } from "./cluster/bus.ts";
import type { Config } from "./config.ts";
import type { RoomContentFilter } from "./content-filter/room-filter.ts";
import type { Database } from "./db/database.ts";
import type { DocumentStore } from "./documents/document-store.ts";
import type { LiveEvents } from "./events/live-events.ts";
import type { UserFeed } from "./feed/user-feed.ts";
import type { Logger } from "./logger.ts";
import type { MediaLibrary } from "./media/media-library.ts";
import type { Metrics } from "./metrics.ts";
import type { PushNotifications } from "./push/push-notifications.ts";
import type { MessageRateLimiter } from "./sync/message-rate.ts";
import type { RoomDocuments } from "./sync/room-documents.ts";
import type { UpdateLogWriter } from "./sync/update-log-writer.ts";

/** Everything a route needs, built once at start. */
export interface AppContext {
  config: Config;
  db: Database;
  logger: Logger;
  loginLimiter: LoginLimiter;
  bus: ClusterBus;
  hocuspocus: Hocuspocus;
  rooms: RoomDocuments;
  store: DocumentStore;
  log: UpdateLogWriter;
  messageRate: MessageRateLimiter;
  /** Refreshes the live `user:<id>` documents a change concerns. */
  feed: UserFeed;
  /** Web Push: notes what should notify members who are away, and sends it (docs/push.md). */
  push: PushNotifications;
  friendRequestLimiter: RateLimiterPostgres;
  reportLimiter: RateLimiterPostgres;
  /** The content filter with each room's mode, for REST writes (the WebSocket gate has its own). */
  contentFilter: RoomContentFilter;
  /** Uploaded images and files: limits, sniffing, thumbnails, the store, who may read (docs/media.md). */
  media: MediaLibrary;
  metrics: Metrics;
  /** GET /api/v1/events: the event journal's readers, typing and presence for REST clients (server/events). */
  events: LiveEvents;
  /** The admin CLI's way in while this server holds the embedded database; null on PostgreSQL. */
  operatorToken: OperatorToken | null;
}
