import { HocuspocusProvider, type HocuspocusProviderWebsocket } from "@hocuspocus/provider";
import * as Y from "yjs";
import { roomDocumentName } from "../../shared/document-names.ts";
import type { ErrorCode } from "../../shared/errors.ts";
import { parseServerStateless } from "../../shared/protocol.ts";
import { allMessages, type MessageView } from "../../shared/room-doc/index.ts";

/** A message the user wrote that the server had not accepted when the room was refused. */
export type UnsentMessage = Pick<MessageView, "id" | "type" | "content" | "media_urls" | "location" | "reply_to_id">;

/** Where a room's local copy lives between sessions (y-indexeddb in the browser; nothing in tests). */
export interface LocalCopy {
  /** Load the stored copy into `doc` and keep storing its changes. */
  attach(name: string, doc: Y.Doc): Promise<void>;
  /** Forget the stored copy (after a refusal, so the refused change is not resent forever). */
  clear(name: string): Promise<void>;
}

/**
 * Refusals that mean "this document is not yours (any more)": resyncing would only be refused
 * again, so the session closes for good instead of reopening.
 */
const FINAL_CODES: ReadonlySet<ErrorCode> = new Set([
  "not_a_member",
  "document_not_granted",
  "invalid_document_name",
  "unauthenticated",
  "account_suspended",
]);

/** What a refusal leaves the user with. */
export interface Refusal {
  code: ErrorCode;
  message: string;
  /** The user's messages that had not been accepted: offer them for a retry, do not lose them. */
  unsent: UnsentMessage[];
  /** True when the room is closed for good (no longer a member): it was not reopened. */
  final: boolean;
}

/**
 * One room of the signed-in user over the shared socket, with the recovery the server's
 * validation asks of clients: when the server refuses an update it closes the room for this
 * client; the session keeps the user's unsent messages, drops the local copy (memory and stored),
 * opens a fresh copy that resyncs from the server, and reports the refusal so the app can show it
 * and offer the unsent text again. The refused change is therefore never resent.
 */
export class RoomSession {
  doc: Y.Doc;
  provider: HocuspocusProvider;
  private readonly listeners = new Set<(refusal: Refusal) => void>();
  private recovering: Promise<void> | null = null;

  constructor(
    private readonly options: {
      socket: HocuspocusProviderWebsocket;
      roomId: string;
      userId: string;
      token: string | (() => Promise<string>);
      localCopy?: LocalCopy;
      /** The session was logged out (`session_ended`): the app signs out rather than this room recovering. */
      onSessionEnded?: () => void;
    },
  ) {
    this.doc = new Y.Doc();
    this.provider = this.open(this.doc);
  }

  get name(): string {
    return roomDocumentName(this.options.roomId);
  }

  /** Call `listener` on every refusal; returns the unsubscribe function. */
  onRefused(listener: (refusal: Refusal) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when the current copy has synced with the server. */
  async whenSynced(): Promise<void> {
    await this.syncedWithin(Number.POSITIVE_INFINITY);
  }

  /** Whether the current copy has synced with the server, waiting at most `ms` for it. */
  syncedWithin(ms: number): Promise<boolean> {
    const provider = this.provider;
    if (provider.isSynced) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (synced: boolean) => {
        provider.off("synced", onSynced);
        clearTimeout(timer);
        resolve(synced);
      };
      const onSynced = ({ state }: { state: boolean }) => state && done(true);
      const timer = Number.isFinite(ms) ? setTimeout(() => done(false), ms) : undefined;
      provider.on("synced", onSynced);
    });
  }

  destroy(): void {
    this.provider.destroy();
    this.doc.destroy();
  }

  private open(doc: Y.Doc): HocuspocusProvider {
    void this.options.localCopy?.attach(this.name, doc);
    const provider = new HocuspocusProvider({
      websocketProvider: this.options.socket,
      name: this.name,
      token: this.options.token,
      document: doc,
      // Each copy talks under its own session key: the old copy's close, which may reach the server
      // after the fresh copy authenticated, then ends only the old copy's connection.
      sessionAwareness: true,
      onStateless: ({ payload }) => {
        const message = parseServerStateless(payload);
        if (message?.type !== "refused") return;
        // Not this room's to recover from: the session is over and the app signs out (the tab that
        // logged out clears the local copies).
        if (message.code === "session_ended") this.options.onSessionEnded?.();
        else void this.recover(message.code, message.message);
      },
    });
    provider.attach();
    return provider;
  }

  private recover(code: ErrorCode, message: string): Promise<void> {
    this.recovering ??= (async () => {
      const unsent = this.unsentMessages();
      const final = FINAL_CODES.has(code);
      this.provider.destroy();
      // No longer a member: this device's copy of the history stays, read-only (FormerRooms).
      if (code !== "not_a_member") await this.options.localCopy?.clear(this.name);
      if (!final) {
        this.doc.destroy();
        this.doc = new Y.Doc();
        this.provider = this.open(this.doc);
      }
      for (const listener of this.listeners) listener({ code, message, unsent, final });
    })().finally(() => {
      this.recovering = null;
    });
    return this.recovering;
  }

  /** My messages the server has not sequenced: not accepted as far as this copy knows. */
  private unsentMessages(): UnsentMessage[] {
    return (
      allMessages(this.doc)
        // Messages with attachments are the media outbox's to offer again (files and all), not text to retype.
        .filter(
          (m) => m.sender_id === this.options.userId && m.seq === null && !m.deleted && m.type !== "system" && m.attachments.length === 0,
        )
        .map(({ id, type, content, media_urls, location, reply_to_id }) => ({ id, type, content, media_urls, location, reply_to_id }))
    );
  }
}
