import { HocuspocusProvider, HocuspocusProviderWebsocket, WebSocketStatus } from "@hocuspocus/provider";
import * as Y from "yjs";
import { userDocumentName } from "../../shared/document-names.ts";
import { parseServerStateless } from "../../shared/protocol.ts";
import { allMessages, getSequencedMessage, sendMessage } from "../../shared/room-doc/index.ts";
import { Api } from "../api/http.ts";
import { MediaOutbox, mediaUrlsOf, messageTypeFor, NotYet } from "../media/outbox.ts";
import { waitingCount } from "../room/timeline.ts";
import type { Session } from "../session/session-store.ts";
import { FormerRooms } from "./former-rooms.ts";
import { LocalCopies } from "./local-copies.ts";
import { type Refusal, RoomSession } from "./room-session.ts";

/** What the connection indicator shows. */
export interface SyncStatus {
  connection: "online" | "offline" | "syncing";
  /** My changes the server has not accepted yet, across the rooms open in this tab and the media outbox. */
  waiting: number;
}

const OPEN_ROOMS_KEY = (userId: string) => `chat.rooms.${userId}`;
const REMEMBERED_ROOMS = 30;
// How long the outbox waits for a room's copy to sync before it tries again later.
const SYNC_WAIT_MS = 20_000;

/**
 * Everything the signed-in tab syncs over its one WebSocket: the private `user:<me>` document
 * (friends, requests, room list) and every room opened in this session. Each document has an
 * offline copy in IndexedDB, so the app opens, reads and writes with no network; the rooms
 * opened recently are reopened at start, so what was written offline is sent once the socket
 * returns, without the user opening each room again.
 */
export class ChatSync {
  readonly socket: HocuspocusProviderWebsocket;
  readonly userDoc = new Y.Doc();
  readonly local: LocalCopies;
  /** Messages with images and files, waiting for their uploads (kept across reloads). */
  readonly outbox: MediaOutbox;
  /** Groups I left or was removed from, kept read-only on this device. */
  readonly former: FormerRooms;
  private userProvider: HocuspocusProvider;
  private readonly rooms = new Map<string, RoomSession>();
  private readonly listeners = new Set<() => void>();
  private readonly refusalListeners = new Set<(roomId: string, refusal: Refusal) => void>();
  private readonly sessionEndedListeners = new Set<() => void>();
  private status: SyncStatus = { connection: "offline", waiting: 0 };
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private destroyed = false;

  constructor(private readonly session: Session) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.socket = new HocuspocusProviderWebsocket({
      url: `${scheme}://${location.host}/api/v1/chat/ws`,
      // Reconnect quickly on a flaky connection, but back off to 5 s when the server stays away.
      delay: 250,
      minDelay: 250,
      maxDelay: 5_000,
      maxAttempts: 0,
    });
    this.local = new LocalCopies(session.user.id);
    void this.local.attach(this.userDocName, this.userDoc);
    this.userProvider = this.openUserDoc();
    this.former = new FormerRooms(session.user.id, this.local, new Api(() => session.token));
    this.outbox = new MediaOutbox(session.user.id, new Api(() => session.token), async (entry, attachments) => {
      const room = this.room(entry.roomId);
      // Written into a copy that has synced: one that has not may lack the message another tab
      // (or an earlier attempt) wrote, and writing it again would be a second, refused, insertion.
      if (!(await room.syncedWithin(SYNC_WAIT_MS))) throw new NotYet("the room has not synced yet");
      if (this.destroyed) return;
      sendMessage(room.doc, {
        id: entry.messageId,
        sender_id: session.user.id,
        type: messageTypeFor(attachments),
        content: entry.content,
        attachments,
        media_urls: mediaUrlsOf(attachments),
        reply_to_id: entry.replyToId,
        created_at: entry.createdAt,
      });
    });
    this.outbox.subscribe(() => this.refresh());
    this.socket.on("status", () => {
      // Back online: what waits for an upload goes now, not at the next retry.
      if (this.socket.status === WebSocketStatus.Connected) this.outbox.kick();
      this.refresh();
    });
    for (const roomId of this.rememberedRooms()) this.room(roomId);
    this.refresh();
  }

  private get userDocName(): string {
    return userDocumentName(this.session.user.id);
  }

  /**
   * The private document's provider. When an operator rewrote it (an erase), the stored copy is
   * dropped and the same Y.Doc resyncs: it converges to the erased state, and keeps its identity
   * for the screens that read it.
   */
  private openUserDoc(): HocuspocusProvider {
    const provider = new HocuspocusProvider({
      websocketProvider: this.socket,
      name: this.userDocName,
      token: this.session.token,
      document: this.userDoc,
      // Its own session key, so a reopened copy is not ended by the previous copy's close.
      sessionAwareness: true,
      onStateless: ({ payload }) => {
        const message = parseServerStateless(payload);
        if (message?.type === "refused" && message.code === "document_rewritten") void this.reopenUserDoc();
        if (message?.type === "refused" && message.code === "session_ended") this.sessionEnded();
      },
    });
    provider.attach();
    return provider;
  }

  private async reopenUserDoc(): Promise<void> {
    this.userProvider.destroy();
    await this.local.clear(this.userDocName);
    void this.local.attach(this.userDocName, this.userDoc);
    this.userProvider = this.openUserDoc();
  }

  /** The room's live session, opened (and remembered for the next start) on first use. */
  room(roomId: string): RoomSession {
    let session = this.rooms.get(roomId);
    if (session) return session;
    session = new RoomSession({
      socket: this.socket,
      roomId,
      userId: this.session.user.id,
      token: this.session.token,
      localCopy: this.local,
      onSessionEnded: () => this.sessionEnded(),
    });
    this.rooms.set(roomId, session);
    this.watch(roomId, session);
    this.remember(roomId);
    return session;
  }

  /** Whether this tab has the room open already (or remembers it from an earlier session). */
  hasRoom(roomId: string): boolean {
    return this.rooms.has(roomId);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onRefused(listener: (roomId: string, refusal: Refusal) => void): () => void {
    this.refusalListeners.add(listener);
    return () => this.refusalListeners.delete(listener);
  }

  /**
   * Call `listener` once when the server ends this session (a logout of it, here or in another
   * tab sharing it); returns the unsubscribe function.
   */
  onSessionEnded(listener: () => void): () => void {
    this.sessionEndedListeners.add(listener);
    return () => this.sessionEndedListeners.delete(listener);
  }

  getStatus = (): SyncStatus => this.status;

  /** The status counted now, not as of the last (debounced) recount: what logging out decides on. */
  statusNow(): SyncStatus {
    this.recount();
    return this.status;
  }

  /** Resolves once nothing waits, or after `timeoutMs` with whether it got there. */
  async flush(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.status.connection === "online" && this.status.waiting === 0) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  }

  destroy(): void {
    this.destroyed = true;
    for (const room of this.rooms.values()) room.destroy();
    this.rooms.clear();
    this.userProvider.destroy();
    this.socket.destroy();
    this.outbox.destroy();
    this.local.close();
    this.listeners.clear();
  }

  // Every document of the session is told at once: the listeners hear it once.
  private sessionEnded(): void {
    const listeners = [...this.sessionEndedListeners];
    this.sessionEndedListeners.clear();
    for (const listener of listeners) listener();
  }

  private watch(roomId: string, session: RoomSession): void {
    let doc: Y.Doc | null = null;
    const hook = () => {
      if (doc === session.doc) return;
      doc = session.doc;
      doc.on("update", () => this.refresh());
      session.provider.on("unsyncedChanges", () => this.refresh());
      session.provider.on("synced", () => this.refresh());
    };
    hook();
    session.onRefused((refusal) => {
      // Its local copy is gone: messages with attachments it held, not yet accepted, go back to the outbox.
      this.outbox.refused(roomId, refusal.message);
      if (refusal.final && refusal.code === "not_a_member") void this.former.adopt(roomId, session.doc);
      if (refusal.final) this.forget(roomId);
      else hook();
      this.refresh();
      for (const listener of this.refusalListeners) listener(roomId, refusal);
    });
  }

  /** Recount at most every 100 ms: a burst of updates (a resync) recounts once. */
  private refresh(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      this.recount();
    }, 100);
  }

  private recount(): void {
    const me = this.session.user.id;
    let waiting = this.outbox.waiting;
    let unsynced = false;
    for (const [roomId, room] of this.rooms) {
      // What the server sequenced is done: the outbox lets go of it.
      this.outbox.settle(roomId, (id) => getSequencedMessage(room.doc, id)?.seq != null);
      waiting += waitingCount(allMessages(room.doc), me);
      unsynced ||= room.provider.hasUnsyncedChanges;
    }
    const connected = this.socket.status === WebSocketStatus.Connected;
    const connection = !connected ? "offline" : waiting > 0 || unsynced ? "syncing" : "online";
    if (connection === this.status.connection && waiting === this.status.waiting) return;
    this.status = { connection, waiting };
    for (const listener of this.listeners) listener();
  }

  /** No longer mine: stop syncing it and do not reopen it at the next start. */
  private forget(roomId: string): void {
    this.rooms.delete(roomId);
    const rooms = this.rememberedRooms().filter((id) => id !== roomId);
    localStorage.setItem(OPEN_ROOMS_KEY(this.session.user.id), JSON.stringify(rooms));
  }

  private rememberedRooms(): string[] {
    try {
      return JSON.parse(localStorage.getItem(OPEN_ROOMS_KEY(this.session.user.id)) ?? "[]") as string[];
    } catch {
      return [];
    }
  }

  private remember(roomId: string): void {
    const rooms = [roomId, ...this.rememberedRooms().filter((id) => id !== roomId)].slice(0, REMEMBERED_ROOMS);
    localStorage.setItem(OPEN_ROOMS_KEY(this.session.user.id), JSON.stringify(rooms));
  }
}
