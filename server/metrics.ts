import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Where the gauges read their values when Prometheus scrapes. */
export interface MetricSources {
  connections(): number;
  openDocuments(): number;
  /** Rows in the update log (the planner's estimate: exact counts of a big table are slow). */
  logEntries(): Promise<number>;
  /** With several processes (REDIS_URL): the rooms this process sequences and follows, and whether it reaches Redis. */
  cluster?: () => { owned: number; replicas: number; forwarding: number; redisConnected: boolean };
}

/**
 * The server's Prometheus metrics (prom-client), served at GET /metrics: the process defaults,
 * WebSocket connections, open documents, updates and messages accepted, updates refused by code,
 * update-log commit latency and the log's length; with several processes, the rooms it sequences and
 * follows and whether it reaches Redis.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly updatesAccepted = new Counter({
    name: "chat_updates_accepted_total",
    help: "Client updates to rooms accepted (validated and stored).",
    registers: [this.registry],
  });
  readonly updatesRefused = new Counter({
    name: "chat_updates_refused_total",
    help: "Client updates to rooms refused, by code.",
    labelNames: ["code"],
    registers: [this.registry],
  });
  readonly updatesDeferred = new Counter({
    name: "chat_updates_deferred_total",
    help: "Client updates that continued changes the server lacked (a reconnect): left for the sync exchange to bring.",
    registers: [this.registry],
  });
  readonly messagesAccepted = new Counter({
    name: "chat_messages_accepted_total",
    help: "Messages the server accepted and sequenced, from WebSocket and REST.",
    registers: [this.registry],
  });
  readonly mediaUploads = new Counter({
    name: "chat_media_uploads_total",
    help: "Uploads answered, by outcome: stored, retried (an earlier attempt's id), or the refusal code.",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
  readonly mediaRemoved = new Counter({
    name: "chat_media_removed_total",
    help: "Uploads removed by the media cleanup (never attached, or of a deleted message).",
    registers: [this.registry],
  });
  readonly storeCommitSeconds = new Histogram({
    name: "chat_store_commit_seconds",
    help: "Latency of one update-log commit (a group of appends in one transaction).",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Start the gauges, once the server's parts exist. */
  watch(sources: MetricSources): void {
    new Gauge({
      name: "chat_websocket_connections",
      help: "Open WebSocket connections.",
      registers: [this.registry],
      collect() {
        this.set(sources.connections());
      },
    });
    new Gauge({
      name: "chat_open_documents",
      help: "Documents loaded in this process.",
      registers: [this.registry],
      collect() {
        this.set(sources.openDocuments());
      },
    });
    new Gauge({
      name: "chat_update_log_entries",
      help: "Rows in the update log (estimate).",
      registers: [this.registry],
      async collect() {
        this.set(await sources.logEntries());
      },
    });
    const { cluster } = sources;
    if (!cluster) return;
    new Gauge({
      name: "chat_cluster_rooms",
      help: "Rooms loaded here, by role: owner (this process holds the lease and numbers its messages) or replica (follows the owner).",
      labelNames: ["role"],
      registers: [this.registry],
      collect() {
        const { owned, replicas } = cluster();
        this.set({ role: "owner" }, owned);
        this.set({ role: "replica" }, replicas);
      },
    });
    new Gauge({
      name: "chat_cluster_forwarded_pending",
      help: "Client updates and REST changes forwarded to another process's room and not answered yet.",
      registers: [this.registry],
      collect() {
        this.set(cluster().forwarding);
      },
    });
    new Gauge({
      name: "chat_cluster_redis_connected",
      help: "1 while this process reaches Redis, else 0.",
      registers: [this.registry],
      collect() {
        this.set(cluster().redisConnected ? 1 : 0);
      },
    });
  }
}
