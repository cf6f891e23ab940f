import type { Queryable } from "../db/database.ts";

/** A lease this process holds on a document: only appends under this epoch may commit. */
export interface RoomLease {
  documentName: string;
  epoch: number;
}

/** Thrown inside a commit whose process no longer holds the lease of a document in it. */
export class LeaseLost extends Error {}

/** How long a lease lasts without renewal: the longest a dead owner's rooms wait for a successor. */
export const LEASE_SECONDS = 5;
/** How often owners renew and other processes look for leases whose owner stopped renewing. */
export const LEASE_CHECK_MS = 1_500;

/**
 * The fenced leases that give each room one sequencer across processes (table room_leases). The
 * database is the one clock: a lease expires by its `now()`, so process clocks never matter.
 */
export class RoomLeases {
  constructor(
    private readonly db: Queryable,
    readonly processId: string,
  ) {}

  /** Take the lease of `documentName` if it is free, expired or already ours (a new epoch each time, never reused). */
  async acquire(documentName: string): Promise<{ held: true; lease: RoomLease } | { held: false; owner: string }> {
    const { rows } = await this.db.query<{ epoch: string | number }>(
      `INSERT INTO room_leases AS l (document_name, owner, epoch, expires_at)
       VALUES ($1, $2, nextval('room_lease_epochs'), now() + make_interval(secs => $3))
       ON CONFLICT (document_name) DO UPDATE SET owner = EXCLUDED.owner, epoch = EXCLUDED.epoch, expires_at = EXCLUDED.expires_at
         WHERE l.expires_at < now() OR l.owner = EXCLUDED.owner
       RETURNING epoch`,
      [documentName, this.processId, LEASE_SECONDS],
    );
    if (rows[0]) return { held: true, lease: { documentName, epoch: Number(rows[0].epoch) } };
    const { rows: holder } = await this.db.query<{ owner: string }>("SELECT owner FROM room_leases WHERE document_name = $1", [
      documentName,
    ]);
    // Released between the two statements: try again.
    if (!holder[0]) return this.acquire(documentName);
    return { held: false, owner: holder[0].owner };
  }

  /** Extend every lease given; resolves with the documents whose lease is still ours. */
  async renew(leases: RoomLease[]): Promise<Set<string>> {
    if (leases.length === 0) return new Set();
    const { rows } = await this.db.query<{ document_name: string }>(
      `UPDATE room_leases l SET expires_at = now() + make_interval(secs => $2)
         FROM unnest($3::text[], $4::bigint[]) AS mine(document_name, epoch)
        WHERE l.document_name = mine.document_name AND l.epoch = mine.epoch AND l.owner = $1
       RETURNING l.document_name`,
      [this.processId, LEASE_SECONDS, leases.map((l) => l.documentName), leases.map((l) => l.epoch)],
    );
    return new Set(rows.map((r) => r.document_name));
  }

  /** Give a lease up (the room unloaded here), so another process may take it at once. */
  async release(lease: RoomLease): Promise<void> {
    await this.db.query("DELETE FROM room_leases WHERE document_name = $1 AND owner = $2 AND epoch = $3", [
      lease.documentName,
      this.processId,
      lease.epoch,
    ]);
  }

  /** Give up whatever lease this process holds on `documentName` (it does not serve the room any more). */
  async releaseAny(documentName: string): Promise<void> {
    await this.db.query("DELETE FROM room_leases WHERE document_name = $1 AND owner = $2", [documentName, this.processId]);
  }

  /** Of `documentNames`, those whose lease is free or expired (their owner stopped renewing). */
  async vacant(documentNames: string[]): Promise<string[]> {
    if (documentNames.length === 0) return [];
    const { rows } = await this.db.query<{ name: string }>(
      `SELECT n AS name FROM unnest($1::text[]) AS n
        WHERE NOT EXISTS (SELECT 1 FROM room_leases l WHERE l.document_name = n AND l.expires_at >= now())`,
      [documentNames],
    );
    return rows.map((r) => r.name);
  }

  /**
   * Inside a commit: the leases must still be ours, under a share lock of their rows held to the
   * end of the transaction, so a successor's takeover (an update of the row) waits for this commit
   * and every later commit of ours fails here. Throws LeaseLost otherwise.
   */
  async fence(tx: Queryable, leases: RoomLease[]): Promise<void> {
    if (leases.length === 0) return;
    const unique = [...new Map(leases.map((l) => [l.documentName, l])).values()];
    const { rows } = await tx.query<{ document_name: string }>(
      `SELECT l.document_name FROM room_leases l
         JOIN unnest($2::text[], $3::bigint[]) AS mine(document_name, epoch)
           ON l.document_name = mine.document_name AND l.epoch = mine.epoch
        WHERE l.owner = $1
        FOR SHARE OF l`,
      [this.processId, unique.map((l) => l.documentName), unique.map((l) => l.epoch)],
    );
    if (rows.length !== unique.length) {
      const held = new Set(rows.map((r) => r.document_name));
      throw new LeaseLost(`this process no longer holds the lease of ${unique.find((l) => !held.has(l.documentName))?.documentName}`);
    }
  }
}
