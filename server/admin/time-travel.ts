import * as Y from "yjs";
import type { Queryable } from "../db/database.ts";

/**
 * A stored document as it was at `at` (now when omitted), rebuilt from what is stored: the newest
 * snapshot that holds only updates from before `at`, then every logged update after it up to
 * `at`. While the log is kept this is exact to the update; where retention or an erase folded the
 * log into a snapshot, the earliest reachable moment is that snapshot's.
 */
export async function documentAt(db: Queryable, documentName: string, at?: Date): Promise<Y.Doc> {
  // Times given to the millisecond cover that whole millisecond: the database keeps microseconds,
  // and a time read from the history must include the change it names.
  const until = new Date((at ?? new Date()).getTime() + 1).toISOString();
  const { rows: snapshots } = await db.query<{ state: Uint8Array; upto_update_id: string | number }>(
    `SELECT s.state, s.upto_update_id FROM document_snapshots s
      WHERE s.document_name = $1
        AND NOT EXISTS (SELECT 1 FROM document_updates u
                         WHERE u.document_name = s.document_name AND u.id <= s.upto_update_id AND u.created_at >= $2)
        AND s.created_at < $2
      ORDER BY s.upto_update_id DESC LIMIT 1`,
    [documentName, until],
  );
  const base = snapshots[0];
  const { rows: log } = await db.query<{ update: Uint8Array }>(
    `SELECT update FROM document_updates WHERE document_name = $1 AND id > $2 AND created_at < $3 ORDER BY id`,
    [documentName, base?.upto_update_id ?? 0, until],
  );
  const doc = new Y.Doc();
  Y.transact(doc, () => {
    if (base) Y.applyUpdate(doc, new Uint8Array(base.state));
    for (const row of log) Y.applyUpdate(doc, new Uint8Array(row.update));
  });
  return doc;
}
