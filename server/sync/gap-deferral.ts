import type { Connection, Document } from "@hocuspocus/server";
import * as encoding from "lib0/encoding";
import * as syncProtocol from "y-protocols/sync";

// Hocuspocus message type of a Yjs sync message (packages/server/src/types.ts MessageType.Sync).
const SYNC_MESSAGE = 0;

/**
 * Updates that continue changes the server never received, in a row, before a connection is
 * refused as broken. A reconnecting provider sends every update it queued while offline ahead of
 * the sync exchange, one per change (a fast writer's few seconds offline are hundreds of them);
 * a client that sends more than this without ever filling its gaps is not syncing.
 */
export const MAX_DEFERRED_IN_A_ROW = 5_000;

/**
 * What the gate does with an update whose changes depend on ones the server does not have.
 *
 * A provider that reconnects sends the updates it queued while offline (and any it makes at once)
 * before the sync exchange that brings the server what it lacks; each such update has a gap. It
 * is not an attack, and refusing it would make an honest client drop its copy. So the update is
 * not applied, the connection stays open, and the server sends its state vector (sync step 1):
 * the provider answers with a sync step 2 holding everything the server lacks, this update's
 * changes included, which the gate then judges and stores like any other.
 */
export class GapDeferral {
  private readonly inARow = new WeakMap<Connection, number>();

  /** True while the connection has not sent too many gapped updates without progress. */
  tolerate(connection: Connection): boolean {
    return (this.inARow.get(connection) ?? 0) < MAX_DEFERRED_IN_A_ROW;
  }

  /** The connection's update changed the room: it is in step again. */
  progressed(connection: Connection): void {
    this.inARow.delete(connection);
  }

  /**
   * Leave `payload` unapplied and ask the client for what the server lacks. Hocuspocus has no
   * hook to skip a message without closing the connection, and it applies the very bytes that
   * `beforeSync` is shown (a view into the frame): writing an empty update (no structs, no
   * deletions) over its first two bytes makes the apply a no-op. Hocuspocus then acknowledges
   * it, which balances the provider's count of unacknowledged messages; nothing is stored until
   * the sync step 2 that follows, acknowledged only once durable.
   */
  defer(document: Document, connection: Connection, payload: Uint8Array): void {
    payload[0] = 0;
    payload[1] = 0;
    const inARow = (this.inARow.get(connection) ?? 0) + 1;
    this.inARow.set(connection, inARow);
    // One request per run of gaps: the answer brings everything the server lacks at once.
    if (inARow > 1) return;
    const encoder = encoding.createEncoder();
    encoding.writeVarString(encoder, connection.messageAddress);
    encoding.writeVarUint(encoder, SYNC_MESSAGE);
    syncProtocol.writeSyncStep1(encoder, document);
    connection.send(encoding.toUint8Array(encoder));
  }
}
