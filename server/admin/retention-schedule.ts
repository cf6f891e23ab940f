import type { Database } from "../db/database.ts";
import { sqlDocumentStore } from "../documents/document-store.ts";
import type { Logger } from "../logger.ts";

const EVERY_MS = 60 * 60 * 1000;
// Only one process of several applies the policy at a time.
const RETENTION_LOCK_KEY = 7_311_004;

/** Apply the retention policy every hour, in whichever process gets the lock. */
export function scheduleRetention(db: Database, days: number, logger: Logger): NodeJS.Timeout {
  const timer = setInterval(() => {
    db.transaction(async (tx) => {
      const { rows } = await tx.query<{ locked: boolean }>("SELECT pg_try_advisory_xact_lock($1) AS locked", [RETENTION_LOCK_KEY]);
      if (!rows[0]?.locked) return;
      const result = await sqlDocumentStore(db).in(tx).pruneHistory(days);
      if (result.updates_removed + result.snapshots_removed > 0) logger.info({ days, ...result }, "history retention applied");
    }).catch((err: unknown) => logger.warn({ err }, "history retention failed"));
  }, EVERY_MS);
  timer.unref();
  return timer;
}
