import type { RoomLease } from "../cluster/room-leases.ts";
import type { Database, Queryable } from "../db/database.ts";
import { StatementParams, withParts } from "../db/statement-params.ts";
import { isDatabaseUnavailable, whenReachable } from "../db/unavailable.ts";
import type { DocumentStore } from "../documents/document-store.ts";
import { type MessageIdClaim, throwIfReused } from "../messages/message-ids.ts";
import { mirrorStatement, type RoomMirror } from "./room-effects.ts";

/** Who made an update, as the log records it for operators. */
export type UpdateOrigin = "connection" | "rest" | "server";

/** One update to make durable, with the relational writes that must commit with it. */
export interface LogEntry {
  documentName: string;
  update: Uint8Array | null;
  origin: UpdateOrigin;
  userId: string | null;
  connectionId: string | null;
  /** Runs inside the same transaction after the insert (client-id bindings, media claims). */
  effects?: (tx: Queryable) => Promise<void>;
  /** The room's relational mirror after this change; a batch writes all of them at once. */
  mirror?: RoomMirror;
  /**
   * Which loaded copy of the document made it: once one entry of an owner fails, its later
   * entries are refused unstored (they were applied on top of the failed one).
   */
  owner?: object;
  /** The lease the document is sequenced under (several processes): checked in the commit. */
  lease?: RoomLease;
  /** New message ids a client's update creates: checked in the commit against other rooms' (MessageIdTaken). */
  messageIds?: MessageIdClaim;
}

/**
 * A commit's log rows are six parameters each and PostgreSQL takes at most 65,535 in a statement
 * (its mirrors' columns are arrays): a longer queue commits in several transactions.
 */
const MAX_ENTRIES_PER_COMMIT = 5_000;

interface Pending {
  entry: LogEntry;
  /** With the entry's log id (null when it had no update to log). */
  resolve: (id: number | null) => void;
  reject: (error: unknown) => void;
}

/**
 * Appends updates to `document_updates` with group commit: whatever arrives while one
 * transaction is committing goes into the next one, so a burst of messages costs a handful of
 * commits (fsyncs), not one each. `append` resolves only once its entry is committed, which is
 * what lets the server acknowledge an update as saved.
 */
export class UpdateLogWriter {
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  /** Commits and entries written, for the benchmark and operators. */
  readonly stats = { commits: 0, entries: 0, bytes: 0 };
  /** Log entries and bytes per document since its last snapshot (as far as this process knows): drives compaction. */
  readonly sinceSnapshot = new Map<string, { entries: number; bytes: number }>();

  private readonly failedOwners = new WeakSet<object>();

  constructor(
    private readonly db: Database,
    private readonly store: DocumentStore,
  ) {}

  /** `owner`'s entries not yet committed are refused, and any it appends later too. */
  failOwner(owner: object): void {
    this.failedOwners.add(owner);
  }

  private refusedOwner(entry: LogEntry): boolean {
    return entry.owner !== undefined && this.failedOwners.has(entry.owner);
  }

  /** Resolves with the entry's log id (null when it logged no update) once it is committed. */
  append(entry: LogEntry): Promise<number | null> {
    return new Promise((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  /** Resolves when everything appended so far is committed (or failed). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flushLoop(): Promise<void> {
    for (;;) {
      // Yield to the I/O phase first, so every message already read from the sockets joins this
      // batch. PGlite runs in this thread and blocks it while committing: without the yield each
      // commit would be followed at once by another holding a single entry.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.queue.length === 0) break;
      const batch = this.withoutFailedOwners(this.queue.splice(0, MAX_ENTRIES_PER_COMMIT));
      if (batch.length === 0) continue;
      try {
        const ids = await this.commitWhenReachable(batch.map((p) => p.entry));
        for (const [i, p] of batch.entries()) p.resolve(ids[i] ?? null);
      } catch (error) {
        if (isDatabaseUnavailable(error)) {
          for (const p of batch) {
            if (p.entry.owner) this.failedOwners.add(p.entry.owner);
            p.reject(error);
          }
          continue;
        }
        // One bad entry must not fail the others: retry them one by one; after a failed entry,
        // its owner's later entries are refused unstored.
        for (const p of batch) {
          if (this.refusedOwner(p.entry)) {
            p.reject(new Error("an earlier change of this document could not be stored"));
            continue;
          }
          await this.commit([p.entry]).then(
            (ids) => p.resolve(ids[0] ?? null),
            (e: unknown) => {
              if (p.entry.owner) this.failedOwners.add(p.entry.owner);
              p.reject(e);
            },
          );
        }
      }
    }
    this.flushing = null;
  }

  /** The pending entries whose owner has not failed; the others are refused here. */
  private withoutFailedOwners(pending: Pending[]): Pending[] {
    return pending.filter((p) => {
      if (!this.refusedOwner(p.entry)) return true;
      p.reject(new Error("an earlier change of this document could not be stored"));
      return false;
    });
  }

  /** Commit, retrying while the database cannot be reached, for at most OUTAGE_HOLD_MS. */
  private commitWhenReachable(entries: LogEntry[]): Promise<Array<number | null>> {
    return whenReachable(
      () => this.commit(entries),
      (error) => this.onWaitingForDatabase(error),
    );
  }

  /** Told each time a commit found the database unreachable and will be tried again. */
  onWaitingForDatabase: (error: unknown) => void = () => {};

  /** Told how long each commit took, in seconds (the store-latency metric). */
  onCommit: (seconds: number) => void = () => {};

  /** Fences the leases of a batch (several processes); RoomLeases.fence, set when clustered. */
  fence: ((tx: Queryable, leases: RoomLease[]) => Promise<void>) | null = null;

  /** Commit `entries` in one transaction; resolves with each entry's log id (null: no update logged). */
  private async commit(entries: LogEntry[]): Promise<Array<number | null>> {
    const started = performance.now();
    const logged = entries.map((e) => e.update !== null && e.update.length > 0);
    const ids = await this.db.transaction(async (tx) => {
      const leases = entries.flatMap((e) => (e.lease ? [e.lease] : []));
      if (this.fence && leases.length > 0) await this.fence(tx, leases);
      for (const entry of entries) await entry.effects?.(tx);
      const rows = entries.flatMap((e, i) =>
        logged[i] && e.update
          ? [{ documentName: e.documentName, update: e.update, origin: e.origin, userId: e.userId, connectionId: e.connectionId }]
          : [],
      );
      const claims = entries.flatMap((e) => (e.messageIds ? [e.messageIds] : []));
      // One statement: the log rows (after the batch's shared locks: appends never wait for each
      // other, only for a compaction of the same document), the relational mirrors, and which new
      // message ids another room already has.
      const params = new StatementParams();
      const parts =
        rows.length > 0
          ? [
              this.store.appendPart(
                rows,
                entries.map((e) => e.documentName),
                params,
              ),
            ]
          : [];
      const mirror = mirrorStatement(
        entries.flatMap((e) => (e.mirror ? [e.mirror] : [])),
        claims,
        params,
      );
      parts.push(...mirror.parts);
      const selects = [
        ...(rows.length > 0 ? ["SELECT 'logged' AS kind, id::text AS value FROM logged"] : []),
        ...(mirror.reusedIds ? [`SELECT 'reused' AS kind, message_id AS value FROM (${mirror.reusedIds}) AS reused`] : []),
      ];
      if (parts.length === 0 && selects.length === 0) return [];
      const { rows: out } = await tx.query<{ kind: "logged" | "reused"; value: string }>(
        withParts(parts, selects.length > 0 ? selects.join("\nUNION ALL ") : "SELECT NULL::text AS kind, NULL::text AS value WHERE false"),
        params.values,
      );
      throwIfReused(
        claims,
        out.flatMap((r) => (r.kind === "reused" ? [r.value] : [])),
      );
      // One sequence, one statement, rows inserted in order: ids grow in the order of the rows.
      return out.flatMap((r) => (r.kind === "logged" ? [Number(r.value)] : [])).sort((a, b) => a - b);
    });
    this.onCommit((performance.now() - started) / 1000);
    this.stats.commits += 1;
    this.stats.entries += entries.length;
    for (const e of entries) {
      if (!e.update?.length) continue;
      this.stats.bytes += e.update.length;
      const since = this.sinceSnapshot.get(e.documentName) ?? { entries: 0, bytes: 0 };
      since.entries += 1;
      since.bytes += e.update.length;
      this.sinceSnapshot.set(e.documentName, since);
    }
    let next = 0;
    return logged.map((l) => (l ? (ids[next++] ?? null) : null));
  }
}
