import { randomBytes } from "node:crypto";
import path from "node:path";
import type { RateLimiterPostgres } from "rate-limiter-flexible";
import { newId } from "../../shared/ids.ts";
import type { Config } from "../config.ts";
import type { Database } from "../db/database.ts";
import { HttpError } from "../http/http-error.ts";
import { consumeOrRefuse } from "../http/rate-limit.ts";
import type { Logger } from "../logger.ts";
import { isReadOnlyDirectRoom } from "../rooms/blocking.ts";
import { isCurrentMember } from "../rooms/membership.ts";
import { ImageRefused, prepareImage } from "./images.ts";
import { LocalMediaStore } from "./local-store.ts";
import { findMedia, insertMedia, type MediaRow } from "./media-records.ts";
import type { MediaStore, StoredObject } from "./media-store.ts";
import { S3MediaStore } from "./s3-store.ts";
import { sniffMedia } from "./sniff.ts";

type MediaConfig = Pick<
  Config,
  | "dataDir"
  | "MEDIA_MAX_IMAGE_PIXELS"
  | "MEDIA_S3_BUCKET"
  | "MEDIA_S3_REGION"
  | "MEDIA_S3_ENDPOINT"
  | "MEDIA_S3_ACCESS_KEY_ID"
  | "MEDIA_S3_SECRET_ACCESS_KEY"
  | "MEDIA_S3_FORCE_PATH_STYLE"
  | "MEDIA_S3_PREFIX"
>;

/** The store the configuration names: an S3-compatible bucket when one is set, else DATA_DIR/media. */
export function openMediaStore(config: MediaConfig): MediaStore {
  if (config.MEDIA_S3_BUCKET) {
    return new S3MediaStore({
      bucket: config.MEDIA_S3_BUCKET,
      region: config.MEDIA_S3_REGION,
      endpoint: config.MEDIA_S3_ENDPOINT,
      accessKeyId: config.MEDIA_S3_ACCESS_KEY_ID,
      secretAccessKey: config.MEDIA_S3_SECRET_ACCESS_KEY,
      forcePathStyle: config.MEDIA_S3_FORCE_PATH_STYLE,
      prefix: config.MEDIA_S3_PREFIX,
    });
  }
  return new LocalMediaStore(path.join(config.dataDir, "media"));
}

/** One upload to take. */
export interface UploadInput {
  roomId: string;
  uploaderId: string;
  name: string;
  /** The client's id for this upload, so a retry answers the first attempt. */
  id?: string;
  bytes: Buffer;
}

/**
 * Uploaded images and files (docs/media.md): who may upload and read, what is taken (the type
 * sniffed from the bytes, images made upright, stripped of metadata and thumbnailed), and where
 * the bytes go. The bytes are stored before the row that points at them, so a row never names
 * missing bytes; bytes left without a row by a crash are unreachable and harmless.
 */
export class MediaLibrary {
  constructor(
    private readonly db: Database,
    readonly store: MediaStore,
    private readonly uploads: RateLimiterPostgres,
    private readonly config: MediaConfig,
    private readonly logger: Logger,
  ) {}

  /** Take an upload from someone `assertMayUpload` allowed (the route asks before it reads the body). */
  async upload(input: UploadInput): Promise<{ media: MediaRow; created: boolean }> {
    if (input.id) {
      const existing = await this.retried(input.id, input);
      if (existing) return { media: existing, created: false };
    }
    await consumeOrRefuse(this.uploads, input.uploaderId, "uploads");
    const sniffed = await sniffMedia(input.bytes);
    if ("refused" in sniffed) throw new HttpError("media_type_refused", sniffed.refused);
    const id = input.id ?? newId();
    // Each attempt writes under its own key: two attempts racing with one id never mix their bytes.
    const key = `rooms/${input.roomId}/${id}/${randomBytes(4).toString("hex")}`;
    let kept = { bytes: input.bytes, width: null as number | null, height: null as number | null };
    let thumbnailKey: string | null = null;
    if (sniffed.kind === "image") {
      const image = await prepareImage(input.bytes, sniffed.mime, this.config.MEDIA_MAX_IMAGE_PIXELS).catch((error: unknown) => {
        if (!(error instanceof ImageRefused)) throw error;
        throw new HttpError(error.reason === "too_many_pixels" ? "media_too_large" : "media_type_refused", error.message);
      });
      kept = image;
      thumbnailKey = `${key}/thumbnail.webp`;
      await this.store.put(thumbnailKey, image.thumbnail, "image/webp");
    }
    await this.store.put(`${key}/original`, kept.bytes, sniffed.mime);
    const inserted = await insertMedia(this.db, {
      id,
      room_id: input.roomId,
      uploader_id: input.uploaderId,
      kind: sniffed.kind,
      name: input.name,
      mime: sniffed.mime,
      size: kept.bytes.length,
      width: kept.width,
      height: kept.height,
      storage_key: `${key}/original`,
      thumbnail_key: thumbnailKey,
    });
    if (inserted) return { media: inserted, created: true };
    // Two attempts with one id raced: the first row stands, and this attempt's bytes go.
    await this.store.delete(thumbnailKey ? [`${key}/original`, thumbnailKey] : [`${key}/original`]);
    const raced = await this.retried(id, input);
    if (!raced) throw new HttpError("media_id_taken", "Another upload has this id.");
    return { media: raced, created: false };
  }

  /** An upload's row and bytes for a reader who may see them; 404 `media_not_found` otherwise. */
  async open(
    id: string,
    reader: { id: string; is_server_admin: boolean },
    variant: "original" | "thumbnail",
  ): Promise<{ media: MediaRow; object: StoredObject }> {
    const media = await findMedia(this.db, id);
    const notFound = new HttpError("media_not_found", "No such upload in your rooms.");
    // Members of the room read its media; server admins too (they may need to see what was reported).
    if (!media || !(reader.is_server_admin || (await isCurrentMember(this.db, media.room_id, reader.id)))) throw notFound;
    const key = variant === "original" ? media.storage_key : media.thumbnail_key;
    if (!key) throw notFound;
    const object = await this.store.get(key);
    if (!object) {
      this.logger.warn({ media: id, key }, "media row without its bytes");
      throw notFound;
    }
    return { media, object };
  }

  close(): void {
    this.store.close();
  }

  /** The earlier attempt of a retried upload, or null when the id is new; 409 when it is someone else's. */
  private async retried(id: string, input: UploadInput): Promise<MediaRow | null> {
    const existing = await findMedia(this.db, id);
    if (!existing) return null;
    if (existing.uploader_id !== input.uploaderId || existing.room_id !== input.roomId) {
      throw new HttpError("media_id_taken", "Another upload has this id: make a new one.");
    }
    return existing;
  }

  /** Members upload to their rooms; nobody uploads into a direct room a block made read-only. */
  async assertMayUpload(roomId: string, userId: string): Promise<void> {
    if (!(await isCurrentMember(this.db, roomId, userId))) throw new HttpError("not_a_member", "You are not a member of this room.");
    if (await isReadOnlyDirectRoom(this.db, roomId)) throw new HttpError("blocked", "This conversation is read-only.");
  }
}
