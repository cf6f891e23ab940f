import type { Database, Queryable } from "../db/database.ts";
import type { Logger } from "../logger.ts";
import type { MediaStore } from "./media-store.ts";

/** What one cleanup pass removed. */
export interface CleanupResult {
  removed: number;
  bytes: number;
}

// Uploads handled per transaction: short transactions, so appends (and PGlite's one connection)
// never wait long for a pass.
const BATCH = 100;

interface Doomed {
  id: string;
  storage_key: string;
  thumbnail_key: string | null;
  size: number;
}

const keysOf = (rows: Doomed[]) => rows.flatMap((r) => (r.thumbnail_key ? [r.storage_key, r.thumbnail_key] : [r.storage_key]));

/**
 * The uploads nothing refers to (docs/media.md): never attached within the grace period (a send
 * abandoned, a retry's duplicate); attached to a message deleted in the same room (the message
 * index says so, for that room: a message id reused in another room decides nothing here); or
 * claimed by a message that never made it into the index within the grace period (a crash
 * between the claim and the write). Uploads of a message with an open report stay, as evidence
 * for the admin who reviews it.
 */
const DUE = `
  (m.message_id IS NULL AND m.created_at < now() - make_interval(secs => $1::float8 * 3600))
  OR (m.message_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM chat_message_index i WHERE i.message_id = m.message_id AND i.room_id = m.room_id AND i.is_deleted)
      AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.message_id = m.message_id AND r.status = 'open'))
  OR (m.message_id IS NOT NULL AND m.attached_at < now() - make_interval(secs => $1::float8 * 3600) AND NOT EXISTS (
        SELECT 1 FROM chat_message_index i WHERE i.message_id = m.message_id AND i.room_id = m.room_id))`;

/**
 * Remove one batch: the rows are locked (rows another process is cleaning are skipped, so passes
 * in several processes share the work), deleted, and their bytes removed, all before the commit. A
 * message claiming one of them meanwhile waits on the row lock and then finds it gone (refused
 * `attachment_invalid`), so no stored message is left pointing at removed bytes. If removing the
 * bytes fails the rows come back, and the next pass tries again.
 */
async function removeBatch(db: Database, store: MediaStore, unattachedHours: number): Promise<Doomed[]> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<Doomed>(
      `DELETE FROM media WHERE id IN (
         SELECT m.id FROM media m WHERE ${DUE} ORDER BY m.created_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
       RETURNING id, storage_key, thumbnail_key, size::float8 AS size`,
      [unattachedHours],
    );
    if (rows.length > 0) await store.delete(keysOf(rows));
    return rows;
  });
}

/** One cleanup pass: batch after batch until nothing is due. */
export async function cleanUpMedia(db: Database, store: MediaStore, unattachedHours: number): Promise<CleanupResult> {
  const result: CleanupResult = { removed: 0, bytes: 0 };
  for (;;) {
    const rows = await removeBatch(db, store, unattachedHours);
    result.removed += rows.length;
    result.bytes += rows.reduce((sum, r) => sum + r.size, 0);
    if (rows.length < BATCH) return result;
  }
}

/** Run the cleanup every `minutes` in every process (they share the work; see removeBatch). */
export function scheduleMediaCleanup(
  db: Database,
  store: MediaStore,
  settings: { minutes: number; unattachedHours: number },
  logger: Logger,
  onRemoved: (count: number) => void = () => {},
): NodeJS.Timeout {
  const timer = setInterval(() => {
    void cleanUpMedia(db, store, settings.unattachedHours)
      .then((result) => {
        if (result.removed === 0) return;
        onRemoved(result.removed);
        logger.info(result, "media cleanup removed unreferenced uploads");
      })
      .catch((err: unknown) => logger.warn({ err }, "media cleanup failed"));
  }, settings.minutes * 60_000);
  timer.unref();
  return timer;
}

/**
 * Remove the uploads a message of `roomId` carried (an operator erasing it for good), bytes and
 * rows in one transaction; how many.
 */
export function removeMediaOfMessage(db: Database, store: MediaStore, roomId: string, messageId: string): Promise<number> {
  return db.transaction(async (tx: Queryable) => {
    const { rows } = await tx.query<Doomed>(
      "DELETE FROM media WHERE message_id = $1 AND room_id = $2 RETURNING id, storage_key, thumbnail_key, size::float8 AS size",
      [messageId, roomId],
    );
    if (rows.length > 0) await store.delete(keysOf(rows));
    return rows.length;
  });
}
