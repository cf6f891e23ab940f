import * as Y from "yjs";
import type { Database } from "../db/database.ts";
import { DOCUMENT_LOCK_CLASS } from "./update-log-writer.ts";

/** A stored document: its merged state, its latest snapshot's size and the log that follows it. */
export interface LoadedDocument {
  state: Uint8Array;
  snapshotBytes: number;
  updatesSinceSnapshot: number;
  logBytesSinceSnapshot: number;
}

/**
 * Reads documents from the latest snapshot plus the update log after it, and compacts: folds the
 * log into a new snapshot. Log rows are kept after compaction as history (time travel, audit);
 * loading only reads what follows the newest snapshot.
 */
export class DocumentStore {
  constructor(private readonly db: Database) {}

  async load(documentName: string): Promise<LoadedDocument | null> {
    const snapshot = await this.db.query<{ state: Uint8Array; upto_update_id: number }>(
      `SELECT state, upto_update_id FROM document_snapshots WHERE document_name = $1
        ORDER BY upto_update_id DESC LIMIT 1`,
      [documentName],
    );
    const base = snapshot.rows[0];
    const log = await this.db.query<{ update: Uint8Array }>(
      "SELECT update FROM document_updates WHERE document_name = $1 AND id > $2 ORDER BY id",
      [documentName, base?.upto_update_id ?? 0],
    );
    if (!base && log.rows.length === 0) return null;
    const parts = [...(base ? [base.state] : []), ...log.rows.map((r) => r.update)];
    return {
      state: Y.mergeUpdates(parts.map((p) => new Uint8Array(p))),
      snapshotBytes: base?.state.length ?? 0,
      updatesSinceSnapshot: log.rows.length,
      logBytesSinceSnapshot: log.rows.reduce((sum, r) => sum + r.update.length, 0),
    };
  }

  /**
   * Fold every logged update of `documentName` into a new snapshot, in one transaction under the
   * document's exclusive advisory lock: appends hold the shared lock, so none is in flight and no
   * update can commit behind the snapshot's high-water mark. Returns the byte sizes, or null when
   * there was nothing to fold.
   */
  async compact(documentName: string): Promise<{ before: number; after: number; folded: number } | null> {
    return this.db.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [DOCUMENT_LOCK_CLASS, documentName]);
      const snapshot = await tx.query<{ state: Uint8Array; upto_update_id: number }>(
        `SELECT state, upto_update_id FROM document_snapshots WHERE document_name = $1
          ORDER BY upto_update_id DESC LIMIT 1`,
        [documentName],
      );
      const base = snapshot.rows[0];
      const log = await tx.query<{ id: number; update: Uint8Array }>(
        "SELECT id, update FROM document_updates WHERE document_name = $1 AND id > $2 ORDER BY id",
        [documentName, base?.upto_update_id ?? 0],
      );
      const last = log.rows.at(-1);
      if (!last) return null;
      const doc = new Y.Doc();
      let before = 0;
      for (const part of [...(base ? [base.state] : []), ...log.rows.map((r) => r.update)]) {
        before += part.length;
        Y.applyUpdate(doc, new Uint8Array(part));
      }
      const state = Y.encodeStateAsUpdate(doc);
      doc.destroy();
      await tx.query("INSERT INTO document_snapshots (document_name, upto_update_id, state) VALUES ($1, $2, $3)", [
        documentName,
        last.id,
        state,
      ]);
      return { before, after: state.length, folded: log.rows.length };
    });
  }
}
