import type { Api } from "../api/http.ts";

// Object URLs of thumbnails shown in this tab, by path: each is fetched once however often it is
// shown (thumbnails are a few kilobytes; originals are not kept, see originalObjectUrl).
const loaded = new Map<string, Promise<string>>();

const cacheName = (userId: string) => `chat-media:${userId}`;

/**
 * An object URL for a thumbnail the server guards (the request carries the session token, which an
 * `<img src>` cannot). Thumbnails are also kept in this account's Cache Storage, so rooms opened
 * offline still show their pictures; originals are fetched when asked for.
 */
export function thumbnailObjectUrl(api: Api, userId: string, path: string): Promise<string> {
  let url = loaded.get(path);
  if (!url) {
    url = readThrough(api, userId, path).then((blob) => URL.createObjectURL(blob));
    // A failure is not remembered: the next render tries again (the connection may be back).
    url.catch(() => loaded.delete(path));
    loaded.set(path, url);
  }
  return url;
}

async function readThrough(api: Api, userId: string, path: string): Promise<Blob> {
  const cache = "caches" in globalThis ? await caches.open(cacheName(userId)).catch(() => null) : null;
  const hit = await cache?.match(path);
  if (hit) return hit.blob();
  const blob = await api.blob(path);
  await cache?.put(path, new Response(blob, { headers: { "content-type": blob.type } })).catch(() => {});
  return blob;
}

/**
 * The bytes of an original, as an object URL the caller revokes when done (originals can be
 * megabytes: they are not kept in memory after use).
 */
export async function originalObjectUrl(api: Api, path: string): Promise<string> {
  return URL.createObjectURL(await api.blob(path));
}

/** Forget this account's kept media (at logout). */
export async function clearMediaCache(userId: string): Promise<void> {
  for (const url of loaded.values()) void url.then((u) => URL.revokeObjectURL(u)).catch(() => {});
  loaded.clear();
  if ("caches" in globalThis) await caches.delete(cacheName(userId)).catch(() => false);
}
