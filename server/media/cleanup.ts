import type { Database, Queryable } from "../db/database.ts";
import type { Logger } from "../logger.ts";
import type { MediaStore } from "./media-store.ts";

/** What one cleanup pass removed. */
export interface CleanupResult {
  removed: number;
  bytes: number;
}

// Uploads handled per statement: a pass works through a backlog in bounded steps.
const BATCH = 200;
// Only one process of several cleans at a time.
const CLEANUP_LOCK_KEY = 7_311_010;

/**
 * Remove uploads no message refers to (docs/media.md): those never attached within
 * `unattachedHours` of their upload (a send abandoned, a retry's duplicate), and those whose
 * message was deleted or erased (deleting clears a message's attachments in the document, and the
 * message index says so). The bytes go first, then the rows: a crash in between leaves a row whose
 * bytes are gone, which reads as 404 and is removed by the next pass.
 */
export async function cleanUpMedia(db: Queryable, store: MediaStore, unattachedHours: number): Promise<CleanupResult> {
  const result: CleanupResult = { removed: 0, bytes: 0 };
  for (;;) {
    const { rows } = await db.query<{ id: string; storage_key: string; thumbnail_key: string | null; size: number }>(
      `SELECT m.id, m.storage_key, m.thumbnail_key, m.size::float8 AS size FROM media m
        WHERE (m.message_id IS NULL AND m.created_at < now() - make_interval(secs => $1::float8 * 3600))
           OR (m.message_id IS NOT NULL AND EXISTS (
                SELECT 1 FROM chat_message_index i WHERE i.message_id = m.message_id AND i.is_deleted))
        ORDER BY m.created_at
        LIMIT ${BATCH}`,
      [unattachedHours],
    );
    if (rows.length === 0) return result;
    await store.delete(rows.flatMap((r) => (r.thumbnail_key ? [r.storage_key, r.thumbnail_key] : [r.storage_key])));
    await db.query("DELETE FROM media WHERE id = ANY($1::uuid[])", [rows.map((r) => r.id)]);
    result.removed += rows.length;
    result.bytes += rows.reduce((sum, r) => sum + r.size, 0);
    if (rows.length < BATCH) return result;
  }
}

/** Run the cleanup every `minutes`, in whichever process gets the lock. */
export function scheduleMediaCleanup(
  db: Database,
  store: MediaStore,
  settings: { minutes: number; unattachedHours: number },
  logger: Logger,
  onRemoved: (count: number) => void = () => {},
): NodeJS.Timeout {
  const timer = setInterval(() => {
    void runLocked(db, store, settings.unattachedHours)
      .then((result) => {
        if (!result || result.removed === 0) return;
        onRemoved(result.removed);
        logger.info(result, "media cleanup removed unreferenced uploads");
      })
      .catch((err: unknown) => logger.warn({ err }, "media cleanup failed"));
  }, settings.minutes * 60_000);
  timer.unref();
  return timer;
}

/**
 * One pass under the cleanup lock (transaction-scoped, so a pooled connection never keeps it);
 * null when another process holds it.
 */
export function runLocked(db: Database, store: MediaStore, unattachedHours: number): Promise<CleanupResult | null> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ locked: boolean }>("SELECT pg_try_advisory_xact_lock($1) AS locked", [CLEANUP_LOCK_KEY]);
    if (!rows[0]?.locked) return null;
    return cleanUpMedia(tx, store, unattachedHours);
  });
}

/** Remove the uploads a message carried, bytes first (an operator erasing it for good); how many. */
export async function removeMediaOfMessage(db: Queryable, store: MediaStore, messageId: string): Promise<number> {
  const { rows } = await db.query<{ id: string; storage_key: string; thumbnail_key: string | null }>(
    "SELECT id, storage_key, thumbnail_key FROM media WHERE message_id = $1",
    [messageId],
  );
  if (rows.length === 0) return 0;
  await store.delete(rows.flatMap((r) => (r.thumbnail_key ? [r.storage_key, r.thumbnail_key] : [r.storage_key])));
  await db.query("DELETE FROM media WHERE id = ANY($1::uuid[])", [rows.map((r) => r.id)]);
  return rows.length;
}
