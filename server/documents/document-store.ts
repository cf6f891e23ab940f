import * as Y from "yjs";
import type { Database, Queryable } from "../db/database.ts";
import type { StatementParams } from "../db/statement-params.ts";

// Namespace of the per-document advisory locks: appends take the shared lock, compaction and
// rewrites the exclusive one, so nothing commits behind a snapshot's high-water mark.
const DOCUMENT_LOCK_CLASS = 2;

/** A stored document: its merged state, its latest snapshot's size and the log that follows it. */
export interface LoadedDocument {
  state: Uint8Array;
  snapshotBytes: number;
  updatesSinceSnapshot: number;
  logBytesSinceSnapshot: number;
  /** The newest update-log id (or snapshot bound) the state holds: where following the log resumes. */
  lastUpdateId: number;
}

/** A stored document loaded under its exclusive lock: the Y.Doc and the last log entry it holds. */
export interface LockedDocument {
  doc: Y.Doc;
  /** The newest update-log id (or snapshot bound) folded into `doc`. */
  last: number;
}

/** One row of the update log to append. */
export interface LogRow {
  documentName: string;
  update: Uint8Array;
  origin: "connection" | "rest" | "server";
  userId: string | null;
  connectionId: string | null;
}

/** One stored change, oldest first, as operators read the history. */
export interface StoredChange {
  id: number;
  update: Uint8Array;
  origin: string;
  username: string | null;
  createdAt: Date;
}

/** The statements a transaction makes over stored documents (appends, locked loads, rewrites). */
export interface DocumentStoreTx {
  /** Append rows to the update log, in one statement; resolves with their log ids, in order. */
  append(rows: LogRow[]): Promise<number[]>;
  /** Take a document's exclusive lock, held until the transaction ends (taking it again is a no-op). */
  lock(documentName: string): Promise<void>;
  /** Load a document under its exclusive lock, held until the transaction ends. */
  loadLocked(documentName: string, options: { gc: boolean }): Promise<LockedDocument>;
  /**
   * Change a stored document without a live server: load it under its lock, apply `mutate`, and
   * append what changed as a server change by `userId` (the CLI; live processes drop their copy
   * when the caller publishes `documents_rewritten`).
   */
  appendChange<T>(
    documentName: string,
    userId: string | null,
    mutate: (doc: Y.Doc) => T,
  ): Promise<{ result: T; doc: Y.Doc; changed: boolean }>;
  /**
   * Replace a document's snapshots and whole log with one snapshot of it after `mutate`, loaded
   * with garbage collection on, so nothing deleted survives in storage (an erase).
   */
  rewrite<T>(documentName: string, mutate: (doc: Y.Doc) => T): Promise<T>;
  /**
   * The retention policy for fine-grained history: log rows older than `days` that a snapshot
   * already holds go, and of the snapshots older than that only the newest per document stays, as
   * the base of what remains. Nothing a load needs is removed.
   */
  pruneHistory(days: number): Promise<{ updates_removed: number; snapshots_removed: number }>;
}

/**
 * Every statement over `document_updates` and `document_snapshots` (STYLE 5): the update log,
 * its snapshots, and what is read from them. The same SQL runs on PostgreSQL and PGlite;
 * test/integration/document-store.test.ts is the contract suite for both.
 */
export interface DocumentStore {
  /** The newest snapshot plus the log after it, or null when nothing is stored. */
  load(documentName: string): Promise<LoadedDocument | null>;
  /** The document as it was at `at` (now when omitted), from the snapshots and the log. */
  loadAt(documentName: string, at?: Date): Promise<Y.Doc>;
  /**
   * The log entries after `afterId`, oldest first: what a process following the document (a
   * replica of another process's room) missed. Compaction keeps the log; only retention folds
   * entries older than its days away.
   */
  since(documentName: string, afterId: number): Promise<Array<{ id: number; update: Uint8Array }>>;
  /** Fold the log into a new snapshot under the exclusive lock; null when there was nothing to fold. */
  compact(documentName: string): Promise<{ before: number; after: number; folded: number } | null>;
  /** The logged changes, oldest first, and the snapshot state they follow (when the start was folded). */
  changes(documentName: string): Promise<{ base: Uint8Array | null; changes: StoredChange[] }>;
  /** The statements of `tx`, a transaction of this database. */
  in(tx: Queryable): DocumentStoreTx;
  /** The append as a part of a caller's statement (see `appendPart`), for a commit in one round trip. */
  appendPart(rows: LogRow[], lockNames: string[], params: StatementParams): string;
}

/** The newest snapshot of a document and the log rows after it, through `q` (a transaction when locked). */
async function readLatest(q: Queryable, documentName: string) {
  const { rows: snapshot } = await q.query<{ state: Uint8Array; upto_update_id: string | number }>(
    "SELECT state, upto_update_id FROM document_snapshots WHERE document_name = $1 ORDER BY upto_update_id DESC LIMIT 1",
    [documentName],
  );
  const base = snapshot[0] ? { state: new Uint8Array(snapshot[0].state), upto: Number(snapshot[0].upto_update_id) } : null;
  const { rows: log } = await q.query<{ id: string | number; update: Uint8Array }>(
    "SELECT id, update FROM document_updates WHERE document_name = $1 AND id > $2 ORDER BY id",
    [documentName, base?.upto ?? 0],
  );
  return { base, log: log.map((r) => ({ id: Number(r.id), update: new Uint8Array(r.update) })) };
}

function docOf(parts: Uint8Array[], options: { gc: boolean } = { gc: true }): Y.Doc {
  const doc = new Y.Doc(options);
  Y.transact(doc, () => {
    for (const part of parts) Y.applyUpdate(doc, part);
  });
  return doc;
}

/**
 * The update-log append as a part of a caller's statement (a CTE named `logged`, `RETURNING id`):
 * the shared locks of `lockNames` are taken before any row takes its id (the rows are read from a
 * join with them), then the rows are inserted in their order, so a commit writes its log rows and
 * its relational mirror in one round trip. The same locks and ordering as `append`.
 */
function appendPart(rows: LogRow[], lockNames: string[], params: StatementParams): string {
  const values = rows.map(
    (row, n) =>
      `(${params.add(n, "int")}, ${params.add(row.documentName, "text")}, ${params.add(row.update, "bytea")}, ${params.add(row.origin, "text")}, ${params.add(row.userId, "uuid")}, ${params.add(row.connectionId, "text")})`,
  );
  return `locks AS MATERIALIZED (
      SELECT count(pg_advisory_xact_lock_shared(${params.add(DOCUMENT_LOCK_CLASS, "int")}, hashtext(d))) AS n
        FROM (SELECT d FROM unnest(${params.add([...new Set(lockNames)].sort(), "text[]")}) AS d ORDER BY d) AS sorted),
    logged AS (
      INSERT INTO document_updates (document_name, update, origin, user_id, connection_id)
      SELECT v.document_name, v.update, v.origin, v.user_id, v.connection_id
        FROM (VALUES ${values.join(", ")}) AS v(n, document_name, update, origin, user_id, connection_id)
       CROSS JOIN locks
       ORDER BY v.n
      RETURNING id)`;
}

/** The document store over `db` (PostgreSQL or PGlite: the same statements). */
export function sqlDocumentStore(db: Database): DocumentStore {
  const inTransaction = (tx: Queryable): DocumentStoreTx => {
    const self: DocumentStoreTx = {
      async append(rows) {
        if (rows.length === 0) return [];
        const params: unknown[] = [];
        const values = rows.map((e) => {
          params.push(e.documentName, e.update, e.origin, e.userId, e.connectionId);
          const n = params.length;
          return `($${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n})`;
        });
        const { rows: ids } = await tx.query<{ id: string | number }>(
          `INSERT INTO document_updates (document_name, update, origin, user_id, connection_id) VALUES ${values.join(", ")} RETURNING id`,
          params,
        );
        // One sequence, one statement: ids grow in the order of the rows.
        return ids.map((r) => Number(r.id)).sort((a, b) => a - b);
      },
      async lock(documentName) {
        await tx.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [DOCUMENT_LOCK_CLASS, documentName]);
      },
      async loadLocked(documentName, options) {
        await self.lock(documentName);
        const { base, log } = await readLatest(tx, documentName);
        const doc = docOf([...(base ? [base.state] : []), ...log.map((r) => r.update)], options);
        return { doc, last: Math.max(base?.upto ?? 0, ...log.map((r) => r.id)) };
      },
      async appendChange(documentName, userId, mutate) {
        const { doc } = await self.loadLocked(documentName, { gc: false });
        const updates: Uint8Array[] = [];
        doc.on("update", (update: Uint8Array) => updates.push(update));
        const result = mutate(doc);
        if (updates.length > 0) {
          await self.append([{ documentName, update: Y.mergeUpdates(updates), origin: "server", userId, connectionId: null }]);
        }
        return { result, doc, changed: updates.length > 0 };
      },
      async rewrite(documentName, mutate) {
        const { doc, last } = await self.loadLocked(documentName, { gc: true });
        const result = mutate(doc);
        const state = Y.encodeStateAsUpdate(doc);
        await tx.query("DELETE FROM document_updates WHERE document_name = $1 AND id <= $2", [documentName, last]);
        await tx.query("DELETE FROM document_snapshots WHERE document_name = $1", [documentName]);
        await tx.query("INSERT INTO document_snapshots (document_name, upto_update_id, state) VALUES ($1, $2, $3)", [
          documentName,
          last,
          state,
        ]);
        doc.destroy();
        return result;
      },
      async pruneHistory(days) {
        const { rows: updates } = await tx.query<{ n: string | number }>(
          `WITH covered AS (SELECT document_name, max(upto_update_id) AS upto FROM document_snapshots GROUP BY document_name),
                gone AS (DELETE FROM document_updates u USING covered c
                          WHERE u.document_name = c.document_name AND u.id <= c.upto
                            AND u.created_at < now() - make_interval(days => $1)
                         RETURNING 1)
           SELECT count(*) AS n FROM gone`,
          [days],
        );
        const { rows: snapshots } = await tx.query<{ n: string | number }>(
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
      },
    };
    return self;
  };

  return {
    async load(documentName) {
      const { base, log } = await readLatest(db, documentName);
      if (!base && log.length === 0) return null;
      return {
        state: Y.mergeUpdates([...(base ? [base.state] : []), ...log.map((r) => r.update)]),
        snapshotBytes: base?.state.length ?? 0,
        updatesSinceSnapshot: log.length,
        logBytesSinceSnapshot: log.reduce((sum, r) => sum + r.update.length, 0),
        lastUpdateId: Math.max(base?.upto ?? 0, log.at(-1)?.id ?? 0),
      };
    },

    async loadAt(documentName, at) {
      // Times given to the millisecond cover that whole millisecond: the database keeps
      // microseconds, and a time read from the history must include the change it names.
      const until = new Date((at ?? new Date()).getTime() + 1).toISOString();
      // The newest snapshot that holds only updates from before `at`, then the log up to `at`.
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
        "SELECT update FROM document_updates WHERE document_name = $1 AND id > $2 AND created_at < $3 ORDER BY id",
        [documentName, base?.upto_update_id ?? 0, until],
      );
      return docOf([...(base ? [new Uint8Array(base.state)] : []), ...log.map((r) => new Uint8Array(r.update))]);
    },

    async since(documentName, afterId) {
      const { rows } = await db.query<{ id: string | number; update: Uint8Array }>(
        "SELECT id, update FROM document_updates WHERE document_name = $1 AND id > $2 ORDER BY id",
        [documentName, afterId],
      );
      return rows.map((r) => ({ id: Number(r.id), update: new Uint8Array(r.update) }));
    },

    compact(documentName) {
      return db.transaction(async (tx) => {
        await tx.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [DOCUMENT_LOCK_CLASS, documentName]);
        const { base, log } = await readLatest(tx, documentName);
        const last = log.at(-1);
        if (!last) return null;
        const parts = [...(base ? [base.state] : []), ...log.map((r) => r.update)];
        const doc = docOf(parts);
        const state = Y.encodeStateAsUpdate(doc);
        doc.destroy();
        await tx.query("INSERT INTO document_snapshots (document_name, upto_update_id, state) VALUES ($1, $2, $3)", [
          documentName,
          last.id,
          state,
        ]);
        return { before: parts.reduce((sum, p) => sum + p.length, 0), after: state.length, folded: log.length };
      });
    },

    async changes(documentName) {
      const { rows } = await db.query<{
        id: string | number;
        update: Uint8Array;
        origin: string;
        username: string | null;
        created_at: Date;
      }>(
        `SELECT u.id, u.update, u.origin, us.username, u.created_at FROM document_updates u
           LEFT JOIN users us ON us.id = u.user_id
          WHERE u.document_name = $1 ORDER BY u.id`,
        [documentName],
      );
      const first = rows[0];
      // The log may begin after a folded snapshot: the newest one below its first entry is its base.
      const { rows: snapshot } = first
        ? await db.query<{ state: Uint8Array }>(
            "SELECT state FROM document_snapshots WHERE document_name = $1 AND upto_update_id < $2 ORDER BY upto_update_id DESC LIMIT 1",
            [documentName, first.id],
          )
        : { rows: [] };
      return {
        base: snapshot[0] ? new Uint8Array(snapshot[0].state) : null,
        changes: rows.map((r) => ({
          id: Number(r.id),
          update: new Uint8Array(r.update),
          origin: r.origin,
          username: r.username,
          createdAt: r.created_at,
        })),
      };
    },

    in: inTransaction,
    appendPart,
  };
}
