import * as Y from "yjs";
import type { Queryable } from "../db/database.ts";
import { DOCUMENT_LOCK_CLASS } from "../sync/update-log-writer.ts";

/** A stored document loaded under its exclusive lock: the Y.Doc and the last log entry it holds. */
export interface LockedDocument {
  doc: Y.Doc;
  /** The newest update-log id (or snapshot bound) folded into `doc`. */
  last: number;
}

/**
 * Load a document from its newest snapshot and the log after it, holding the document's advisory
 * lock until `tx` ends (appends and compaction take the same lock, so nothing slips in between).
 */
export async function loadLocked(tx: Queryable, documentName: string, options: { gc: boolean }): Promise<LockedDocument> {
  await tx.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [DOCUMENT_LOCK_CLASS, documentName]);
  const { rows: snapshot } = await tx.query<{ state: Uint8Array; upto_update_id: string | number }>(
    "SELECT state, upto_update_id FROM document_snapshots WHERE document_name = $1 ORDER BY upto_update_id DESC LIMIT 1",
    [documentName],
  );
  const upto = Number(snapshot[0]?.upto_update_id ?? 0);
  const { rows: log } = await tx.query<{ id: string | number; update: Uint8Array }>(
    "SELECT id, update FROM document_updates WHERE document_name = $1 AND id > $2 ORDER BY id",
    [documentName, upto],
  );
  const doc = new Y.Doc({ gc: options.gc });
  Y.transact(doc, () => {
    if (snapshot[0]) Y.applyUpdate(doc, new Uint8Array(snapshot[0].state));
    for (const row of log) Y.applyUpdate(doc, new Uint8Array(row.update));
  });
  return { doc, last: Math.max(upto, ...log.map((r) => Number(r.id))) };
}

/**
 * Change a stored document without a live server: load it under its lock, apply `mutate`, and
 * append what changed to its log as a server change by `userId`. Used by the CLI, whose change
 * live processes learn of by dropping their copy (the caller publishes `documents_rewritten`).
 */
export async function appendStored<T>(
  tx: Queryable,
  documentName: string,
  userId: string | null,
  mutate: (doc: Y.Doc) => T,
): Promise<{ result: T; doc: Y.Doc; changed: boolean }> {
  const { doc } = await loadLocked(tx, documentName, { gc: false });
  const updates: Uint8Array[] = [];
  doc.on("update", (update: Uint8Array) => updates.push(update));
  const result = mutate(doc);
  if (updates.length > 0) {
    await tx.query("INSERT INTO document_updates (document_name, update, origin, user_id) VALUES ($1, $2, 'server', $3)", [
      documentName,
      Y.mergeUpdates(updates),
      userId,
    ]);
  }
  const changed = updates.length > 0;
  return { result, doc, changed };
}
