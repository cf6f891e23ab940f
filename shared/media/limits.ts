/**
 * The media rules both sides know: the client checks before queueing an upload, the server
 * enforces (docs/media.md). The byte limit is the server's MEDIA_MAX_BYTES default; a server set
 * otherwise still answers 413 with its own figure.
 */
export const MEDIA_DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

/** Images shown inline with a thumbnail; anything else accepted is a file. */
export const IMAGE_MIME_TYPES: ReadonlySet<string> = new Set(["image/jpeg", "image/png", "image/gif", "image/webp", "image/avif"]);

/** Longest side of a thumbnail, in pixels. */
export const THUMBNAIL_MAX_SIDE = 320;

/** The size a thumbnail of a `width` × `height` image is shown at: known before it loads. */
export function thumbnailSize(width: number, height: number, maxSide = THUMBNAIL_MAX_SIDE): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** "2.4 MB", "812 KB", "94 B". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
