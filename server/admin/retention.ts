import type { Queryable } from "../db/database.ts";

/**
 * The retention policy for fine-grained history: update-log rows older than `days` that a
 * snapshot already holds are deleted, and of the snapshots older than that only the newest per
 * document is kept, as the base of what remains. Time travel is exact to the update within the
 * window and, beyond it, only as fine as the snapshots that remain. Nothing a load needs is
 * removed: rows a snapshot does not hold yet stay, however old.
 */
export async function applyRetention(db: Queryable, days: number): Promise<{ updates_removed: number; snapshots_removed: number }> {
  const { rows: updates } = await db.query<{ n: string | number }>(
    `WITH covered AS (SELECT document_name, max(upto_update_id) AS upto FROM document_snapshots GROUP BY document_name),
          gone AS (DELETE FROM document_updates u USING covered c
                    WHERE u.document_name = c.document_name AND u.id <= c.upto
                      AND u.created_at < now() - make_interval(days => $1)
                   RETURNING 1)
     SELECT count(*) AS n FROM gone`,
    [days],
  );
  const { rows: snapshots } = await db.query<{ n: string | number }>(
    `WITH gone AS (DELETE FROM document_snapshots s
                    WHERE s.created_at < now() - make_interval(days => $1)
                      AND EXISTS (SELECT 1 FROM document_snapshots n
                                   WHERE n.document_name = s.document_name AND n.upto_update_id > s.upto_update_id
                                     AND n.created_at < now() - make_interval(days => $1))
                   RETURNING 1)
     SELECT count(*) AS n FROM gone`,
    [days],
  );
  return { updates_removed: Number(updates[0]?.n ?? 0), snapshots_removed: Number(snapshots[0]?.n ?? 0) };
}
