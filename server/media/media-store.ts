import type { Readable } from "node:stream";

/** Stored bytes being read back. */
export interface StoredObject {
  body: Readable;
  size: number;
}

/**
 * Where uploaded bytes live: a folder under DATA_DIR by default, or any S3-compatible store
 * (AWS S3, MinIO, Cloudflare R2, Cloudinary's S3 interface...). Keys are opaque paths the server
 * makes; the database says what each one is and who may read it. One contract suite
 * (test/integration/media-store.test.ts) runs against every implementation.
 */
export interface MediaStore {
  readonly kind: "local" | "s3";
  /** Store `bytes` under `key`, replacing what was there; resolves once durable. */
  put(key: string, bytes: Buffer, contentType: string): Promise<void>;
  /** The bytes under `key`, or null when there are none. */
  get(key: string): Promise<StoredObject | null>;
  /** Remove `keys`; keys that hold nothing are fine. */
  delete(keys: string[]): Promise<void>;
  /** Every key under `prefix` (for operators and tests; not used on the request path). */
  list(prefix: string): Promise<string[]>;
  close(): void;
}
