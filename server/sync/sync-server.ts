import { randomUUID } from "node:crypto";
import { Database as DatabaseExtension } from "@hocuspocus/extension-database";
import { type Connection, type Document, Hocuspocus, type onStoreDocumentPayload } from "@hocuspocus/server";
import type { WebSocket } from "ws";
import { parseDocumentName } from "../../shared/document-names.ts";
import { CLOSE_CODES, type ErrorCode } from "../../shared/errors.ts";
import { initRoomDoc, markSegment, setLiveSegment } from "../../shared/room-doc/index.ts";
import { type SessionUser, sessionIdOf, userForToken } from "../auth/sessions.ts";
import type { ClusterBus } from "../cluster/bus.ts";
import type { RedisLink } from "../cluster/redis-link.ts";
import type { RoomLeases } from "../cluster/room-leases.ts";
import type { RoomContentFilter } from "../content-filter/room-filter.ts";
import type { Database } from "../db/database.ts";
import type { DocumentStore } from "../documents/document-store.ts";
import { UserFeed } from "../feed/user-feed.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { Presence } from "../presence/presence.ts";
import { isCurrentMember } from "../rooms/membership.ts";
import { segmentExists } from "../rooms/segments.ts";
import { UpdateGate } from "./accept-update.ts";
import { AwarenessGate, type AwarenessVerdict, judgeAwarenessFrame } from "./awareness-gate.ts";
import { claimBindings } from "./client-bindings.ts";
import { durabilityFor } from "./durability.ts";
import { type LoadedRoom, LoadedRooms } from "./loaded-room.ts";
import type { MessageRateLimiter } from "./message-rate.ts";
import { encodeStateless, Refusal, refusedPayload, silenceRefusalsOnConsole } from "./refuse.ts";
import { RoomReplication } from "./room-replication.ts";
import { type AcceptedMessage, RoomWriter } from "./room-writer.ts";
import type { UpdateLogWriter } from "./update-log-writer.ts";

/** What a WebSocket connection carries once authenticated. */
export interface SyncContext {
  socket: WebSocket;
  user?: SessionUser;
  /** The session the document was opened with (sessionIdOf its token): a logout closes it. */
  sessionId?: string;
  /** Set once the socket counts towards its user's presence (its first authenticated document). */
  presence?: Promise<void>;
}

// y-protocols sync message type of a state vector request (y-protocols/sync.js): nothing to judge.
const SYNC_STEP_1 = 0;

/**
 * The Hocuspocus side of the server: authenticates every document a socket opens, makes every
 * accepted update durable before it is applied and acknowledged, and keeps the relational side
 * of rooms in step with their documents.
 */
export function createSyncServer(deps: {
  db: Database;
  store: DocumentStore;
  log: UpdateLogWriter;
  bus: ClusterBus;
  logger: Logger;
  compactAfterUpdates: number;
  messageRate: MessageRateLimiter;
  presence: Presence;
  contentFilter: RoomContentFilter;
  metrics?: Metrics;
  skipValidation?: boolean;
  /** Told once messages are accepted and stored, on the WebSocket and the REST path alike (push). */
  onMessagesAccepted?: (roomId: string, accepted: AcceptedMessage[]) => void;
  /** Set when several processes serve the database: Redis and the room leases (RoomReplication). */
  cluster?: { link: RedisLink; leases: RoomLeases };
}) {
  const { db, store, log, bus, logger, presence } = deps;
  // Each refusal below is logged as one structured line; Hocuspocus would print it again with a stack.
  silenceRefusalsOnConsole();

  const persistence = new UpdateLogPersistence(store, log.sinceSnapshot, deps.compactAfterUpdates, logger);
  const hocuspocus: Hocuspocus<SyncContext> = new Hocuspocus<SyncContext>({
    name: "chat",
    quiet: true,
    // The update log makes every change durable as it arrives; the store hook only compacts.
    debounce: 5_000,
    maxDebounce: 30_000,
    extensions: [persistence],

    async onAuthenticate({ token, documentName, context, connectionConfig, socketId }) {
      let userId: string | undefined;
      const refuse = (code: ErrorCode, message: string, closeCode: number = CLOSE_CODES.refused): never => {
        logger.info({ document: documentName, user: userId, connection: socketId, code, reason: message }, "refused a document");
        // The socket may already be closing; the refusal below still ends this document.
        if (context.socket.readyState === context.socket.OPEN)
          context.socket.send(encodeStateless(documentName, refusedPayload(code, message)));
        throw new Refusal(closeCode, code, message);
      };
      const name = parseDocumentName(documentName);
      if (!name) refuse("invalid_document_name", `"${documentName}" is not room:<uuid> or user:<uuid>.`);
      const user = await userForToken(db, token ?? "");
      if (!user) {
        // The whole connection is unauthenticated: refuse the document, then close the socket.
        setImmediate(() => context.socket.close(CLOSE_CODES.unauthenticated, "unauthenticated"));
        return refuse("unauthenticated", "The session token is missing, expired or revoked.", CLOSE_CODES.unauthenticated);
      }
      userId = user.id;
      if (name?.kind === "room" && !(await isCurrentMember(db, name.roomId, user.id))) {
        refuse("not_a_member", "You are not a member of this room.");
      }
      // A segment after the head exists once the one before it was sealed: no other is created.
      if (name?.kind === "room" && name.segment > 0 && !(await segmentExists(db, name.roomId, name.segment))) {
        refuse("not_found", `The room has no segment ${name.segment} yet.`);
      }
      if (name?.kind === "user") {
        if (name.userId !== user.id) refuse("document_not_granted", "A user document is open only to its owner.");
        // The server alone writes a user's private document.
        connectionConfig.readOnly = true;
      }
      countTowardsPresence(context, user);
      return { user, sessionId: sessionIdOf(token ?? "") };
    },

    async beforeHandleMessage({ update, connection, context, documentName }) {
      const verdict = judgeAwarenessFrame(update);
      if (verdict.kind === "refuse") refuseAwareness(documentName, connection, context, verdict);
    },

    async beforeHandleAwareness({ connection, context, document, states }) {
      // Updates from no connection are the server's own.
      if (!connection) return;
      const verdict = awareness.judge(document, connection, context?.user, states);
      if (verdict.kind === "refuse") refuseAwareness(document.name, connection, context, verdict);
    },

    async connected({ connection }) {
      // Held acknowledgements and updates must not reach a later connection to the same document.
      connection.onClose(() => durabilityFor(connection.document).forget(connection));
    },

    async beforeSync({ type, payload, document, connection, context }) {
      if (type === SYNC_STEP_1 || connection.readOnly) return;
      if (!context.user) throw new Refusal(CLOSE_CODES.unauthenticated, "unauthenticated", "No user on this connection.");
      const room = rooms.get(document.name, document);
      // Another process sequences this room: it judges and stores the update, this one relays.
      if (replication && room?.sequencer.kind === "replica") return replication.forwardUpdate(room, connection, context.user, payload);
      await gate.accept(document, connection, context.user, payload);
    },

    async beforeUnloadDocument({ document }) {
      // Changes still being stored must land before the copy goes: a load meanwhile would not
      // have them, and would number the next messages again.
      await durabilityFor(document).whenSettled();
      const room = rooms.get(document.name, document);
      if (replication && room) await replication.detach(room);
    },

    async afterUnloadDocument({ documentName }) {
      // Unless a fresh copy of the room was loaded meanwhile (after a rewrite), its state goes too.
      const live = hocuspocus.documents.get(documentName);
      if (!live || rooms.get(documentName)?.document !== live) rooms.drop(documentName);
    },

    async afterLoadDocument({ document }) {
      const name = parseDocumentName(document.name);
      if (name?.kind === "user") await feed.refresh(document);
      const room = await rooms.load(document);
      if (!room) return;
      if (replication) await replication.attach(room, persistence.loadedUpTo(document.name));
      else await startSequencing(room);
    },
  });

  /** What the process that sequences a room does first. */
  async function startSequencing(room: LoadedRoom): Promise<void> {
    await bindServerClientId(room);
    // Stamps the schema version on a new room and sequences messages a crash left unsequenced.
    // The head also names the live segment again, should the process that sealed one have died
    // before saying so (the relational side is written with the seal).
    await writer.commit(
      room.document,
      { origin: "server", userId: null, connectionId: null },
      (doc) => {
        initRoomDoc(doc);
        if (room.segment === 0) setLiveSegment(doc, room.facts.liveSegment);
        else markSegment(doc, room.segment);
      },
      { sequenceAll: true },
    );
  }

  // Hocuspocus unloads by name: after an erase replaced a live document (forgetRewritten), a late
  // unload of the old copy (its debounced store ending) would drop the new one from the map. Only
  // the document the map holds may be unloaded.
  const unloadByName = hocuspocus.unloadDocument.bind(hocuspocus);
  hocuspocus.unloadDocument = async (document: Document) => {
    if (hocuspocus.documents.get(document.name) !== document) return;
    return unloadByName(document);
  };

  const rooms = new LoadedRooms(db);
  const awareness = new AwarenessGate((documentName, clientId) => rooms.get(documentName)?.bindings.get(clientId));

  /** Refuse the document to a connection whose awareness is abuse: told, logged once, closed. */
  function refuseAwareness(
    documentName: string,
    connection: Connection,
    context: SyncContext | undefined,
    verdict: Extract<AwarenessVerdict, { kind: "refuse" }>,
  ): never {
    logger.warn(
      { document: documentName, user: context?.user?.id, connection: connection.socketId, code: verdict.code, reason: verdict.message },
      "refused awareness",
    );
    connection.sendStateless(refusedPayload(verdict.code, verdict.message));
    throw new Refusal(CLOSE_CODES.refused, verdict.code, verdict.message);
  }
  const writer = new RoomWriter(
    log,
    (document) => {
      logger.error({ document: document.name }, "could not store an accepted change; the document reloads");
      dropFromMemory(document);
    },
    (roomId, accepted) => {
      deps.metrics?.messagesAccepted.inc(accepted.length);
      feed.roomChanged(roomId);
      if (accepted.length > 0) deps.onMessagesAccepted?.(roomId, accepted);
    },
  );

  /**
   * A document whose accepted change could not be stored holds what storage lacks: take it out of
   * the map, so the next open loads what is stored, and end its sockets (code 1013, try again
   * later), so every provider reconnects and resends what was never acknowledged.
   */
  function dropFromMemory(document: Document): void {
    // Nothing more of this copy is stored or shown: what it applied but did not store is resent by its clients.
    const durability = durabilityFor(document);
    if (!durability.failed) {
      durability.fail();
      log.failOwner(durability);
    }
    if (hocuspocus.documents.get(document.name) === document) hocuspocus.documents.delete(document.name);
    forgetRoom(document);
    for (const connection of document.getConnections()) connection.webSocket.close(1013, "store_unavailable");
  }
  /** What the server keeps about a loaded room goes with it (its lease too, for the next copy to take). */
  function forgetRoom(document: Document): void {
    const room = rooms.get(document.name, document);
    if (room) replication?.dropped(room);
    rooms.drop(document.name, document);
  }
  const gate = new UpdateGate({
    db,
    writer,
    rooms,
    rate: deps.messageRate,
    logger,
    skipValidation: deps.skipValidation ?? false,
    contentFilter: deps.contentFilter,
    metrics: deps.metrics,
  });
  const replication = deps.cluster
    ? new RoomReplication({
        ...deps.cluster,
        store,
        rooms,
        hocuspocus,
        writer,
        gate,
        logger: logger.child({ part: "cluster", process: deps.cluster.leases.processId }),
        onBecameOwner: startSequencing,
        onLeaseLost: dropFromMemory,
      })
    : null;

  /** A socket counts once towards its user's presence, from its first authenticated document to its close. */
  function countTowardsPresence(context: SyncContext, user: SessionUser): void {
    if (context.presence) return;
    const connectionId = randomUUID();
    const opened = presence
      .connected(user.id, connectionId)
      .catch((err: unknown) => logger.warn({ err }, "presence: connect not recorded"));
    context.presence = opened;
    context.socket.once("close", () => {
      opened
        .then(() => presence.disconnected(user.id, connectionId))
        .catch((err: unknown) => logger.warn({ err }, "presence: disconnect not recorded"));
    });
  }

  /**
   * The server writes into a loaded document with the document's own client id: bind it to the
   * server, and pick another if a user already holds that one (ids are random 32-bit numbers).
   */
  async function bindServerClientId({ document, bindings }: { document: Document; bindings: Map<number, string | null> }): Promise<void> {
    while (bindings.has(document.clientID) && bindings.get(document.clientID) !== null) {
      document.clientID = Math.floor(Math.random() * 2 ** 32);
    }
    await db.transaction((tx) => claimBindings(tx, document.name, [document.clientID], null));
    bindings.set(document.clientID, null);
  }

  const feed = new UserFeed(db, hocuspocus, writer, bus, logger);

  /**
   * Storage of `name` was rewritten under us: take the live copy out of the documents map first,
   * so a reconnect loads the new one, then tell its clients to drop their copies and resync.
   */
  function forgetRewritten(name: string): void {
    const document = hocuspocus.documents.get(name);
    if (!document) return;
    hocuspocus.documents.delete(name);
    forgetRoom(document);
    for (const connection of document.getConnections()) {
      connection.sendStateless(refusedPayload("document_rewritten", "An operator rewrote this document: resync."));
      connection.close({ code: CLOSE_CODES.refused, reason: "document_rewritten" });
    }
  }

  /**
   * A logout: every document opened with the session is refused `session_ended`, and a socket
   * left with no document of another session is closed, as an unauthenticated one is. Documents
   * of the user's other sessions stay open.
   */
  function closeSession(sessionId: string): void {
    const sockets = new Set<WebSocket>();
    for (const document of hocuspocus.documents.values()) {
      for (const connection of document.getConnections()) {
        const context = connection.context as SyncContext;
        if (context.sessionId !== sessionId) continue;
        sockets.add(context.socket);
        connection.sendStateless(refusedPayload("session_ended", "This session was logged out."));
        connection.close({ code: CLOSE_CODES.unauthenticated, reason: "session_ended" });
      }
    }
    if (sockets.size === 0) return;
    for (const document of hocuspocus.documents.values()) {
      for (const connection of document.getConnections()) sockets.delete((connection.context as SyncContext).socket);
    }
    for (const socket of sockets) socket.close(CLOSE_CODES.unauthenticated, "session_ended");
  }

  bus.subscribe((event) => {
    switch (event.type) {
      case "membership_revoked": {
        const refreshed = rooms.refresh(event.roomId);
        // Every document of the room: its head and each of its segments.
        for (const document of hocuspocus.documents.values()) {
          const name = parseDocumentName(document.name);
          if (name?.kind !== "room" || name.roomId !== event.roomId) continue;
          for (const connection of document.getConnections()) {
            if ((connection.context as SyncContext).user?.id !== event.userId) continue;
            connection.sendStateless(refusedPayload("not_a_member", "You are no longer a member of this room."));
            connection.close({ code: CLOSE_CODES.refused, reason: "not_a_member" });
          }
        }
        return refreshed;
      }
      case "documents_rewritten":
        for (const name of event.documentNames) forgetRewritten(name);
        return;
      case "block_changed": {
        // Rare: read the facts of every loaded direct room again (which are read-only now).
        const direct = [...rooms.all()].filter((room) => room.facts.type === "direct");
        return Promise.all(direct.map((room) => rooms.refresh(room.roomId))).then(() => {});
      }
      case "room_settings_changed":
        return rooms.refresh(event.roomId);
      case "user_suspended":
        for (const document of hocuspocus.documents.values()) {
          for (const connection of document.getConnections()) {
            if ((connection.context as SyncContext).user?.id !== event.userId) continue;
            connection.sendStateless(refusedPayload("account_suspended", "This account is suspended."));
            connection.close({ code: CLOSE_CODES.unauthenticated, reason: "account_suspended" });
          }
        }
        return;
      case "session_revoked":
        closeSession(event.sessionId);
        return;
      case "presence_changed":
      case "feed_changed":
      case "room_changed":
      case "rooms_changed":
        return; // the user feed's
      case "events_appended":
      case "typing":
        return; // the live events' (server/events)
      default:
        return assertNever(event);
    }
  });

  return { hocuspocus, writer, persistence, feed, replication, rooms, gate };
}

function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}

/**
 * extension-database's load hook over our store; its store hook, which would rewrite the whole
 * document on every save, is replaced by compaction. A document is compacted once its log since
 * the last snapshot has at least `compactAfter` entries *and* half the snapshot's bytes: a snapshot
 * costs O(document), so tying it to the log's growth keeps the amortized cost per message O(change)
 * however long the history, while loads read at most 1.5 times the document.
 */
class UpdateLogPersistence extends DatabaseExtension {
  private readonly snapshotBytes = new Map<string, number>();
  private readonly upTo = new Map<string, number>();
  private compacting = new Set<Promise<unknown>>();
  private closed = false;

  /** Stop compacting (at shutdown, before the database closes) and wait for a running compaction. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.compacting]);
  }

  constructor(
    private readonly store: DocumentStore,
    private readonly since: Map<string, { entries: number; bytes: number }>,
    private readonly compactAfter: number,
    private readonly logger: Logger,
  ) {
    super({
      fetch: async ({ documentName }) => {
        const loaded = await store.load(documentName);
        since.set(documentName, { entries: loaded?.updatesSinceSnapshot ?? 0, bytes: loaded?.logBytesSinceSnapshot ?? 0 });
        this.snapshotBytes.set(documentName, loaded?.snapshotBytes ?? 0);
        this.upTo.set(documentName, loaded?.lastUpdateId ?? 0);
        return loaded?.state ?? null;
      },
    });
  }

  /** The newest log id the last load of `documentName` held (where a replica starts following). */
  loadedUpTo(documentName: string): number {
    return this.upTo.get(documentName) ?? 0;
  }

  override async onStoreDocument({ documentName }: onStoreDocumentPayload): Promise<void> {
    const since = this.since.get(documentName);
    if (this.closed || !since || since.entries < this.compactAfter || since.bytes < (this.snapshotBytes.get(documentName) ?? 0) / 2) return;
    this.since.set(documentName, { entries: 0, bytes: 0 });
    const running = this.store.compact(documentName);
    this.compacting.add(running);
    const result = await running.finally(() => this.compacting.delete(running));
    if (!result) return;
    this.snapshotBytes.set(documentName, result.after);
    this.logger.info({ document: documentName, ...result }, "compacted");
  }
}
