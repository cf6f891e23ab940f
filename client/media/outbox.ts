import { clear, createStore, del, entries, set, type UseStore } from "idb-keyval";
import { type MediaResponse, mediaPath } from "../../shared/api/media.ts";
import { newId } from "../../shared/ids.ts";
import { MEDIA_DEFAULT_MAX_BYTES } from "../../shared/media/limits.ts";
import { type Attachment, ROOM_DOC_LIMITS } from "../../shared/room-doc/index.ts";
import { type Api, ApiError } from "../api/http.ts";

/** A file picked for a message, kept (bytes and all) until the server has it. */
export interface PendingFile {
  /** Made when it was picked: a retried upload answers the first attempt instead of storing twice. */
  uploadId: string;
  name: string;
  blob: Blob;
  /** What the server answered, once it has the file. */
  uploaded: Attachment | null;
}

/** A message with attachments, from the moment it is sent until the server has accepted it. */
export interface OutboxEntry {
  /** The message's id, made when it was sent: written once, however often anything is retried. */
  messageId: string;
  roomId: string;
  content: string | null;
  replyToId: string | null;
  createdAt: string;
  files: PendingFile[];
  /** Written into the room's document; the entry stays until the server sequences it. */
  written: boolean;
  /** Why it did not go (a file refused for good, the room refusing the message); the user decides. */
  failure: string | null;
}

/** Thrown by a WriteMessage that cannot write yet (the room's copy has not synced): try again later. */
export class NotYet extends Error {}

/** Writes a message whose uploads are all done into its room's document (once it has synced). */
export type WriteMessage = (entry: OutboxEntry, attachments: Attachment[]) => Promise<void>;

// Statuses worth trying again later; any other refusal is for good.
const RETRY_LATER = new Set([0, 408, 429, 500, 502, 503, 504]);
const RETRY_EVERY_MS = 15_000;

/**
 * The outbox of messages carrying images and files, for one account, in IndexedDB (idb-keyval;
 * blobs are stored as they are). A message is added at once, online or not, and shown as waiting
 * with its local previews; when the server can be reached its files are uploaded, one after
 * another with progress, then the message is written into the room document. The entry stays
 * until the server has sequenced the message: if the room is refused first (and its local copy
 * dropped), the message comes back here with the reason, files and all, to send again or remove.
 * A room document only ever sees attachments the server already holds, and the message appears
 * once: every step is repeated under the same ids. One tab at a time works the outbox (a Web
 * Lock), reading what another tab did from IndexedDB first.
 */
export class MediaOutbox {
  private readonly store: UseStore;
  private byId = new Map<string, OutboxEntry>();
  private readonly progress = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  private readonly stop = new AbortController();
  private running: Promise<void> | null = null;
  private readonly timer: ReturnType<typeof setInterval>;
  private version = 0;

  constructor(
    private readonly userId: string,
    private readonly api: Api,
    private readonly write: WriteMessage,
  ) {
    this.store = createStore(`chat-outbox:${userId}`, "entries");
    void this.reload().catch(() => {});
    this.timer = setInterval(() => this.kick(), RETRY_EVERY_MS);
  }

  /** Queue a message with `files` (refusedFiles must have passed). */
  async add(input: { roomId: string; content: string | null; replyToId: string | null; files: File[] }): Promise<void> {
    const refused = refusedFiles(input.files);
    if (refused) throw new Error(refused);
    const entry: OutboxEntry = {
      messageId: newId(),
      roomId: input.roomId,
      content: input.content,
      replyToId: input.replyToId,
      createdAt: new Date().toISOString(),
      files: input.files.map((file) => ({ uploadId: newId(), name: file.name || "pasted image", blob: file, uploaded: null })),
      written: false,
      failure: null,
    };
    this.byId.set(entry.messageId, entry);
    this.changed();
    await this.save(entry);
    this.kick();
  }

  /** Give up on a message (its uploads left on the server are cleaned up there). */
  async remove(messageId: string): Promise<void> {
    this.byId.delete(messageId);
    this.changed();
    await del(messageId, this.store);
  }

  /** Try a message again after a failure. */
  retry(messageId: string): void {
    const entry = this.byId.get(messageId);
    if (!entry) return;
    entry.failure = null;
    this.changed();
    void this.save(entry).then(() => this.kick());
  }

  /** Messages not in their room's document (uploading, waiting, or refused), oldest first. */
  unwritten(roomId?: string): OutboxEntry[] {
    return [...this.byId.values()]
      .filter((e) => !e.written && (!roomId || e.roomId === roomId))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** How many messages wait here for their uploads (written ones count in their room). */
  get waiting(): number {
    return this.unwritten().length;
  }

  /** How far a file's upload is, 0 to 1 (0 until it starts). */
  progressOf(uploadId: string): number {
    return this.progress.get(uploadId) ?? 0;
  }

  /** The server sequenced these messages (or they are otherwise in the room for good): done with them. */
  settle(roomId: string, isAccepted: (messageId: string) => boolean): void {
    for (const entry of [...this.byId.values()]) {
      if (entry.roomId === roomId && (entry.written || entry.failure) && isAccepted(entry.messageId)) void this.remove(entry.messageId);
    }
  }

  /** The room was refused and its local copy dropped: what was written but not accepted comes back. */
  refused(roomId: string, reason: string): void {
    for (const entry of this.byId.values()) {
      if (entry.roomId !== roomId || !entry.written) continue;
      entry.written = false;
      entry.failure = `The server refused it: ${reason}`;
      void this.save(entry);
    }
    this.changed();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Changes whenever anything shown changes (for useSyncExternalStore). */
  snapshot = (): number => this.version;

  /** Try to send what waits now (the connection came back, or something was added). */
  kick(): void {
    if (this.stop.signal.aborted) return;
    this.running ??= this.exclusively(() => this.drain())
      .catch(() => {})
      .finally(() => {
        this.running = null;
      });
  }

  /** Stop: no more uploads or writes from this outbox (logout, or the tab's sync ending). */
  destroy(): void {
    this.stop.abort();
    clearInterval(this.timer);
    this.listeners.clear();
  }

  /** Forget everything waiting (at logout: this account's data leaves the device). */
  async clearAll(): Promise<void> {
    this.byId.clear();
    await clear(this.store);
  }

  private get stopped(): boolean {
    return this.stop.signal.aborted;
  }

  private changed(): void {
    this.version++;
    for (const listener of this.listeners) listener();
  }

  private async save(entry: OutboxEntry): Promise<void> {
    if (this.stopped || !this.byId.has(entry.messageId)) return;
    await set(entry.messageId, entry, this.store);
  }

  private async reload(): Promise<void> {
    const stored = await entries<string, OutboxEntry>(this.store);
    this.byId = new Map(stored);
    this.changed();
  }

  /** One tab of this account at a time (where the browser has Web Locks). */
  private async exclusively(work: () => Promise<void>): Promise<void> {
    const locks = globalThis.navigator?.locks;
    if (!locks) return work();
    await locks.request(`chat-outbox:${this.userId}`, { signal: this.stop.signal }, () => work());
  }

  private async drain(): Promise<void> {
    // From IndexedDB each time: another tab may have uploaded or written some of these meanwhile.
    await this.reload();
    for (const entry of this.unwritten()) {
      if (this.stopped) return;
      if (entry.failure) continue;
      if ((await this.send(entry)) === "later") return;
    }
  }

  private async send(entry: OutboxEntry): Promise<"sent" | "later" | "refused"> {
    for (const file of entry.files) {
      if (file.uploaded) continue;
      try {
        const query = new URLSearchParams({ room_id: entry.roomId, name: file.name, id: file.uploadId });
        const answer = await this.api.upload<MediaResponse>(
          `/api/v1/media?${query}`,
          file.blob,
          (fraction) => {
            this.progress.set(file.uploadId, fraction);
            this.changed();
          },
          this.stop.signal,
        );
        const { id, kind, name, mime, size, width, height } = answer;
        file.uploaded = { id, kind, name, mime, size, width, height };
        this.progress.set(file.uploadId, 1);
        await this.save(entry);
        this.changed();
      } catch (error) {
        this.progress.delete(file.uploadId);
        if (error instanceof ApiError && !RETRY_LATER.has(error.status)) return this.fail(entry, `${file.name}: ${error.message}`);
        this.changed();
        return "later";
      }
    }
    if (this.stopped || !this.byId.has(entry.messageId)) return "sent";
    try {
      await this.write(
        entry,
        entry.files.flatMap((f) => (f.uploaded ? [f.uploaded] : [])),
      );
    } catch (error) {
      if (error instanceof NotYet) return "later";
      return this.fail(entry, error instanceof Error ? error.message : String(error));
    }
    entry.written = true;
    await this.save(entry);
    this.changed();
    return "sent";
  }

  private async fail(entry: OutboxEntry, reason: string): Promise<"refused"> {
    entry.failure = reason;
    await this.save(entry);
    this.changed();
    return "refused";
  }
}

/** Why the server would refuse these files for certain (too many, one too large), or null. */
export function refusedFiles(files: File[]): string | null {
  if (files.length > ROOM_DOC_LIMITS.attachments) return `A message carries at most ${ROOM_DOC_LIMITS.attachments} files.`;
  const big = files.find((f) => f.size > MEDIA_DEFAULT_MAX_BYTES);
  if (big) return `${big.name} is over the ${MEDIA_DEFAULT_MAX_BYTES / (1024 * 1024)} MB limit.`;
  return null;
}

/** The message type for what a message carries: images only, or files. */
export function messageTypeFor(attachments: Attachment[]): "image" | "file" {
  return attachments.every((a) => a.kind === "image") ? "image" : "file";
}

/** The seed's `media_urls` for attachments: where each is read. */
export const mediaUrlsOf = (attachments: Attachment[]): string[] => attachments.map((a) => mediaPath(a.id));
