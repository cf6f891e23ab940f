import { randomUUID } from "node:crypto";
import type { Hocuspocus } from "@hocuspocus/server";
import type { ClusterBus, ClusterEvent } from "../cluster/bus.ts";
import type { Database } from "../db/database.ts";
import type { Logger } from "../logger.ts";
import type { Presence } from "../presence/presence.ts";
import { EventStream, type StreamSink, sseFrame } from "./event-stream.ts";
import {
  type Cursor,
  compareCursors,
  type JournalRow,
  prunedHorizon,
  pruneJournal,
  readRange,
  readSettled,
  settledHead,
} from "./journal.ts";
import { TypingRelay } from "./typing-relay.ts";

/** Limits and timings of the live event streams; each can be set in the environment (docs/api.md). */
export interface LiveEventsOptions {
  /** Seconds between heartbeat comments on every stream. */
  heartbeatSeconds: number;
  /** Bytes a reader may leave unread in its socket before it is cut off. */
  maxBufferedBytes: number;
  /** Journal rows waiting to be written to one stream before it is cut off. */
  maxQueuedRows: number;
  /** How long journal rows are kept (older cursors get `reset`), and at most how many. */
  retentionSeconds: number;
  maxRows: number;
  pruneIntervalSeconds: number;
  /** A REST client's `typing: true` lapses after this many seconds unless said again. */
  typingLapseSeconds: number;
  /**
   * Milliseconds a stream's writes wait to leave together (0: the end of this turn of the event
   * loop). A window trades latency for fewer writes when thousands of streams are open.
   */
  flushWindowMs: number;
}

const numberFromEnv = (name: string, fallback: number): number => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

/** The options, from EVENTS_* environment variables or their defaults. */
export function liveEventsOptionsFromEnv(): LiveEventsOptions {
  return {
    heartbeatSeconds: numberFromEnv("EVENTS_HEARTBEAT_SECONDS", 15),
    maxBufferedBytes: numberFromEnv("EVENTS_MAX_BUFFERED_BYTES", 1024 * 1024),
    maxQueuedRows: numberFromEnv("EVENTS_MAX_QUEUED_ROWS", 10_000),
    retentionSeconds: numberFromEnv("EVENTS_RETENTION_SECONDS", 24 * 3600),
    maxRows: numberFromEnv("EVENTS_MAX_ROWS", 1_000_000),
    pruneIntervalSeconds: numberFromEnv("EVENTS_PRUNE_INTERVAL_SECONDS", 60),
    typingLapseSeconds: numberFromEnv("EVENTS_TYPING_LAPSE_SECONDS", 5),
    flushWindowMs: numberFromEnv("EVENTS_FLUSH_WINDOW_MS", 0),
  };
}

// Rows read per query when following the journal, and when a stream catches up (a page is
// written before the next is read: well under the slow-reader bound even of long messages).
const PAGE = 500;
const CATCH_UP_PAGE = 100;

/**
 * The live events of this process: it follows the journal with one reader for every stream
 * (woken by `events_appended` on the cluster bus, whichever process wrote), fans rows out to the
 * open streams, relays typing and presence, and prunes the journal. A stream that resumes from
 * an older cursor reads its gap from the journal itself, then joins the shared reader.
 */
export class LiveEvents {
  readonly options: LiveEventsOptions;
  /** Where the shared reader is: every row at or before it has been handed to the live streams. */
  private head: Cursor = { xid: 0n, id: 0n };
  private readonly streams = new Set<EventStream>();
  private reading: Promise<void> | null = null;
  private readAgain = false;
  /** Milliseconds before looking again for rows that have not settled yet (0: none seen). */
  private retryPause = 0;
  private announcing: Promise<void> | null = null;
  private announceAgain = false;
  private readonly timers: NodeJS.Timeout[] = [];
  readonly typing: TypingRelay;
  /** Whether `head` has been read from the database yet (at start; again after a failure). */
  private headKnown: Promise<void> | null = null;
  private stopped = false;
  /** Set while no stream is open and the journal may have moved on: `head` is read again before the next opens. */
  private headStale = false;
  /** What happened to streams here, for operators, the benchmark and tests. */
  readonly stats = { opened: 0, slowReadersCut: 0 };

  constructor(
    private readonly deps: { db: Database; bus: ClusterBus; logger: Logger; hocuspocus: Hocuspocus; presence: Presence },
    options: Partial<LiveEventsOptions> = {},
  ) {
    this.options = { ...liveEventsOptionsFromEnv(), ...options };
    this.typing = new TypingRelay(
      deps.hocuspocus,
      deps.bus,
      deps.logger,
      () => this.options.typingLapseSeconds * 1000,
      (t) => this.deliverTyping(t),
    );
    deps.bus.subscribe((event) => this.onClusterEvent(event));
    void this.ready.catch((err: unknown) => deps.logger.warn({ err }, "event journal: could not read where it is (tried again)"));
    this.timers.push(
      setInterval(() => this.heartbeat(), this.options.heartbeatSeconds * 1000),
      setInterval(
        () => void this.prune().catch((err: unknown) => deps.logger.warn({ err }, "event journal: prune failed")),
        this.options.pruneIntervalSeconds * 1000,
      ),
    );
    // A lost notification (the bus reconnecting) delays events by at most this.
    this.timers.push(setInterval(() => this.streams.size > 0 && this.follow(), 1_000));
    for (const timer of this.timers) timer.unref();
  }

  /** Resolves once the reader knows where the journal is; a failed read is tried again by the next caller. */
  get ready(): Promise<void> {
    this.headKnown ??= settledHead(this.deps.db).then(
      (head) => {
        this.head = head;
      },
      (error: unknown) => {
        this.headKnown = null;
        throw error;
      },
    );
    return this.headKnown;
  }

  /** Streams open in this process (the benchmark and tests read it). */
  get openStreams(): number {
    return this.streams.size;
  }

  /**
   * Something may have been appended to the journal here: tell every process (and this one).
   * Coalesced: one announcement in flight, and one more after it if asked again meanwhile.
   */
  announce(): void {
    if (this.stopped) return;
    if (this.announcing) {
      this.announceAgain = true;
      return;
    }
    this.announcing = this.deps.bus
      .publish({ type: "events_appended" })
      .catch((err: unknown) => this.deps.logger.warn({ err }, "event journal: announce failed"))
      .finally(() => {
        this.announcing = null;
        if (this.announceAgain) {
          this.announceAgain = false;
          this.announce();
        }
      });
  }

  /**
   * Open a stream for `userId` resuming after `since` (null: from now). A cursor older than
   * what is kept gets one `reset` event and continues from now.
   */
  async open(userId: string, sessionId: string, since: Cursor | null, sink: StreamSink): Promise<EventStream> {
    await this.ready;
    const { db } = this.deps;
    if (this.headStale && this.streams.size === 0) {
      this.headStale = false;
      const head = await settledHead(db);
      if (compareCursors(head, this.head) > 0) this.head = head;
    }
    let start = since ?? this.head;
    let reset = false;
    if (since && compareCursors(since, await prunedHorizon(db)) < 0) {
      start = this.head;
      reset = true;
    }
    const stream = new EventStream(
      userId,
      sessionId,
      start,
      db,
      sink,
      { maxBufferedBytes: this.options.maxBufferedBytes, maxQueuedRows: this.options.maxQueuedRows },
      (s, reason) => this.closed(s, reason),
    );
    await stream.refreshAccess();
    // From now on it hears ephemeral events (typing, presence) and closes with its session;
    // journal rows reach it through catchUp, then from the shared reader.
    this.streams.add(stream);
    if (reset) {
      stream.send(
        sseFrame(
          { type: "reset", data: { reason: "cursor_expired", message: "Events after your cursor are no longer kept: refetch over REST." } },
          start,
        ),
      );
    }
    this.stats.opened += 1;
    const presenceId = randomUUID();
    await this.deps.presence
      .connected(userId, presenceId)
      .catch((err: unknown) => this.deps.logger.warn({ err }, "presence: connect not recorded"));
    stream.presenceId = presenceId;
    await this.catchUp(stream);
    return stream;
  }

  /**
   * Bring a resuming stream to the shared reader's position, page by page from the journal
   * (rows at or before `head` are settled, so a range read returns exactly what the reader saw),
   * then let it follow the reader: from the moment it joins (in the same turn as the check that
   * it is at the reader's position), the reader's rows reach it too.
   */
  private async catchUp(stream: EventStream): Promise<void> {
    for (;;) {
      if (stream.closed) return;
      const head = this.head;
      if (compareCursors(stream.cursor, head) >= 0) {
        stream.following = true;
        // Whatever was appended while no stream listened here is read now, not at the next wake-up.
        this.follow();
        return;
      }
      const rows = await readRange(this.deps.db, stream.cursor, head, CATCH_UP_PAGE);
      if (rows.length === 0) {
        // Nothing between: the stream is at the reader's position.
        stream.cursor = head;
        continue;
      }
      stream.rows(rows);
      // Backpressure: the next page is read once this one has left for the socket.
      await stream.drained();
      if (rows.length < CATCH_UP_PAGE) stream.cursor = head;
    }
  }

  private closed(stream: EventStream, reason: string): void {
    this.streams.delete(stream);
    if (reason === "slow_reader") this.stats.slowReadersCut += 1;
    this.deps.logger.debug({ user: stream.userId, reason }, "event stream closed");
    const presenceId = stream.presenceId;
    stream.presenceId = undefined;
    if (presenceId && !this.stopped) {
      this.deps.presence
        .disconnected(stream.userId, presenceId)
        .catch((err: unknown) => this.deps.logger.warn({ err }, "presence: disconnect not recorded"));
    }
  }

  /** Follow the journal: read every settled row after `head`, hand it to the live streams. One read at a time. */
  private follow(): void {
    // Nobody listens here: read nothing; the next stream to open starts from where the journal is then.
    if (this.streams.size === 0) {
      this.headStale = true;
      return;
    }
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = (async () => {
      await this.ready;
      let unsettled = false;
      do {
        this.readAgain = false;
        let page: { rows: JournalRow[]; unsettled: boolean };
        do {
          page = await readSettled(this.deps.db, this.head, PAGE);
          const last = page.rows[page.rows.length - 1];
          if (!last) break;
          this.head = last.cursor;
          for (const stream of this.streams) if (stream.following) stream.rows(page.rows);
        } while (page.rows.length === PAGE);
        unsettled = page.unsettled;
      } while (this.readAgain);
      // Rows committed behind a transaction still running (any transaction of the cluster, which
      // announces nothing when it ends): look again shortly, until they settle.
      this.retryPause = unsettled ? Math.min(this.retryPause * 2 || 5, 200) : 0;
      if (unsettled && !this.stopped) setTimeout(() => this.follow(), this.retryPause).unref();
    })()
      .catch((err: unknown) => this.deps.logger.warn({ err }, "event journal: read failed"))
      .finally(() => {
        this.reading = null;
      });
  }

  private onClusterEvent(event: ClusterEvent): void | Promise<void> {
    // Every change that journals something is followed by one of these, from the process that
    // made it: events_appended after an update-log commit; the routes' own announcements after
    // the social and membership changes the journal's triggers record.
    if (event.type !== "typing" && event.type !== "presence_changed") this.follow();
    switch (event.type) {
      case "events_appended":
      case "room_changed":
      case "rooms_changed":
        return;
      case "typing":
        return this.typing.onTyping(event);
      case "membership_revoked":
        for (const stream of this.streams) if (stream.userId === event.userId) stream.leaveRoom(event.roomId);
        return;
      case "block_changed":
      case "feed_changed": {
        const users = new Set(event.userIds);
        for (const stream of this.streams) if (users.has(stream.userId)) void stream.refreshAccess();
        return;
      }
      case "presence_changed":
        return this.deliverPresence(event.userId);
      case "session_revoked":
        for (const stream of this.streams) if (stream.sessionId === event.sessionId) stream.close("session_ended");
        return;
      case "user_suspended":
        for (const stream of this.streams) if (stream.userId === event.userId) stream.close("account_suspended");
        return;
      case "room_settings_changed":
      case "documents_rewritten":
        return;
      default:
        return assertNever(event);
    }
  }

  private deliverTyping(t: { roomId: string; userId: string; typing: boolean }): void {
    for (const stream of this.streams) stream.typing(t.roomId, t.userId, t.typing);
  }

  /** A user's online state may have changed: tell their friends' streams here (one query, only when one listens). */
  private async deliverPresence(userId: string): Promise<void> {
    const listening = [...this.streams].filter((s) => s.isFriendOf(userId));
    if (listening.length === 0) return;
    const { rows } = await this.deps.db.query<{ is_online: boolean; last_seen: Date | string | null }>(
      `SELECT EXISTS (SELECT 1 FROM presence_connections pc WHERE pc.user_id = u.id) AS is_online, u.last_seen
         FROM users u WHERE u.id = $1`,
      [userId],
    );
    const row = rows[0];
    if (!row) return;
    const lastSeen = row.last_seen === null ? null : new Date(row.last_seen).toISOString();
    const frame = sseFrame({ type: "presence", data: { user_id: userId, is_online: row.is_online, last_seen: lastSeen } });
    for (const stream of listening) stream.send(frame);
  }

  /** A comment on every stream, so proxies do not close idle ones. */
  heartbeat(): void {
    for (const stream of this.streams) stream.send(": heartbeat\n\n");
  }

  /** Apply the retention policy now; returns the rows dropped. */
  prune(options: { olderThanSeconds?: number; maxRows?: number } = {}): Promise<number> {
    return pruneJournal(this.deps.db, options.olderThanSeconds ?? this.options.retentionSeconds, options.maxRows ?? this.options.maxRows);
  }

  /** Close every stream and stop the timers (at shutdown, before the database closes). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.typing.stop();
    for (const stream of [...this.streams]) stream.close("server_stopping");
    await this.reading;
    await this.announcing;
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled cluster event: ${JSON.stringify(value)}`);
}
