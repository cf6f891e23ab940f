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

/** A message with attachments that waits for its uploads before it is written into the room. */
export interface OutboxEntry {
  /** The message's id, made when it was sent: written once, however often the upload is retried. */
  messageId: string;
  roomId: string;
  content: string | null;
  replyToId: string | null;
  createdAt: string;
  files: PendingFile[];
  /** Why the server refused a file for good (too large, not a type it takes); the user decides. */
  failure: string | null;
}

/** Writes a message whose uploads are all done into its room's document. */
export type WriteMessage = (entry: OutboxEntry, attachments: Attachment[]) => void;

// Statuses worth trying again later; any other refusal is for good.
const RETRY_LATER = new Set([0, 408, 429, 500, 502, 503, 504]);
const RETRY_EVERY_MS = 15_000;

/**
 * The outbox of messages carrying images and files, for one account, in IndexedDB (idb-keyval;
 * blobs are stored as they are). A message is added at once, online or not, and shown as waiting
 * with its local previews; when the server can be reached its files are uploaded, one after
 * another with progress, then the message is written into the room document and leaves the
 * outbox. A room document only ever sees attachments the server already holds, so the server
 * never has to refuse a message whose upload is still on its way, and the message appears once.
 */
export class MediaOutbox {
  private readonly store: UseStore;
  private readonly byId = new Map<string, OutboxEntry>();
  private readonly progress = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  private running: Promise<void> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private version = 0;
  readonly loaded: Promise<void>;

  constructor(
    userId: string,
    private readonly api: Api,
    private readonly write: WriteMessage,
  ) {
    this.store = createStore(`chat-outbox:${userId}`, "entries");
    this.loaded = entries<string, OutboxEntry>(this.store)
      .then((stored) => {
        for (const [id, entry] of stored) this.byId.set(id, entry);
        this.changed();
      })
      .catch(() => {});
    this.timer = setInterval(() => this.kick(), RETRY_EVERY_MS);
  }

  /**
   * Queue a message with `files`; refuses at once (throws) what the server would refuse for
   * certain: too many files, or one over the size limit.
   */
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
      failure: null,
    };
    this.byId.set(entry.messageId, entry);
    this.changed();
    await set(entry.messageId, entry, this.store);
    this.kick();
  }

  /** Give up on a waiting message (its uploads left on the server are cleaned up there). */
  async remove(messageId: string): Promise<void> {
    this.byId.delete(messageId);
    this.changed();
    await del(messageId, this.store);
  }

  /** Waiting messages, oldest first (of one room when named). */
  list(roomId?: string): OutboxEntry[] {
    return [...this.byId.values()].filter((e) => !roomId || e.roomId === roomId).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** How far a file's upload is, 0 to 1 (0 until it starts). */
  progressOf(uploadId: string): number {
    return this.progress.get(uploadId) ?? 0;
  }

  get size(): number {
    return this.byId.size;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Changes whenever anything shown changes (for useSyncExternalStore). */
  snapshot = (): number => this.version;

  /** Try to send what waits now (the connection came back, or something was added). */
  kick(): void {
    this.running ??= this.drain().finally(() => {
      this.running = null;
    });
  }

  destroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.listeners.clear();
  }

  /** Forget everything waiting (at logout: this account's data leaves the device). */
  async clearAll(): Promise<void> {
    this.byId.clear();
    await clear(this.store);
  }

  private changed(): void {
    this.version++;
    for (const listener of this.listeners) listener();
  }

  private async drain(): Promise<void> {
    await this.loaded;
    for (const entry of this.list()) {
      if (entry.failure) continue;
      const outcome = await this.send(entry);
      // Unreachable or busy: everything after it would fail the same way; try again later.
      if (outcome === "later") return;
    }
  }

  private async send(entry: OutboxEntry): Promise<"sent" | "later" | "refused"> {
    for (const file of entry.files) {
      if (file.uploaded) continue;
      try {
        const query = new URLSearchParams({ room_id: entry.roomId, name: file.name, id: file.uploadId });
        const answer = await this.api.upload<MediaResponse>(`/api/v1/media?${query}`, file.blob, (fraction) => {
          this.progress.set(file.uploadId, fraction);
          this.changed();
        });
        file.uploaded = {
          id: answer.id,
          kind: answer.kind,
          name: answer.name,
          mime: answer.mime,
          size: answer.size,
          width: answer.width,
          height: answer.height,
        };
        this.progress.set(file.uploadId, 1);
        await set(entry.messageId, entry, this.store);
        this.changed();
      } catch (error) {
        if (error instanceof ApiError && !RETRY_LATER.has(error.status)) {
          entry.failure = `${file.name}: ${error.message}`;
          await set(entry.messageId, entry, this.store);
          this.changed();
          return "refused";
        }
        this.progress.delete(file.uploadId);
        this.changed();
        return "later";
      }
    }
    if (!this.byId.has(entry.messageId)) return "sent";
    const attachments = entry.files.flatMap((f) => (f.uploaded ? [f.uploaded] : []));
    // Written into the room (and its offline copy) before it leaves the outbox: a reload in between
    // writes it again under the same id, which the room keeps once.
    this.write(entry, attachments);
    await this.remove(entry.messageId);
    return "sent";
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
