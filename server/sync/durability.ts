import { Connection, type Document } from "@hocuspocus/server";
import * as decoding from "lib0/decoding";

// Hocuspocus message types (packages/server/src/types.ts MessageType) that carry document state
// or say it was saved: a sync message (an update, or the state a sync step sends) and SyncStatus,
// the acknowledgement of a client's update.
const SYNC = 0;
const SYNC_STATUS = 8;

interface Held {
  message: Uint8Array;
  /** Sent once every change applied before it was queued is durable. */
  upto: number;
}

/**
 * What a loaded document has applied in memory against what is stored, and the messages held back
 * until they are true. The server applies an accepted change to the live document at once (so the
 * next update is judged against it) and stores it with the changes around it in one commit; until
 * that commit, nobody may see the change and its sender may not be told it is saved. So every
 * sync message and acknowledgement sent to a connection of this document while changes are in
 * flight waits, in order, until they are durable; a failed commit drops the document instead.
 */
export class Durability {
  private appliedCount = 0;
  private durableCount = 0;
  private readonly held = new Map<Connection, Held[]>();

  /** A change was just applied in memory; pass the mark to `stored` once it is durable. */
  applied(): number {
    this.appliedCount += 1;
    return this.appliedCount;
  }

  /** Everything up to `mark` is durable: send what waited for it. */
  stored(mark: number): void {
    if (mark <= this.durableCount) return;
    this.durableCount = mark;
    for (const [connection, queue] of this.held) {
      let sent = 0;
      while (sent < queue.length && (queue[sent] as Held).upto <= this.durableCount) {
        sendNow(connection, (queue[sent] as Held).message);
        sent += 1;
      }
      if (sent === queue.length) this.held.delete(connection);
      else queue.splice(0, sent);
    }
  }

  /** True when nothing applied is still waiting to be stored. */
  get settled(): boolean {
    return this.durableCount >= this.appliedCount;
  }

  /** Send `message` to `connection` now, or hold it until what it may reveal is durable. */
  send(connection: Connection, message: Uint8Array): void {
    const queue = this.held.get(connection);
    if (!isStateMessage(message)) {
      sendNow(connection, message);
    } else if (queue) {
      queue.push({ message, upto: this.appliedCount });
    } else if (this.settled) {
      sendNow(connection, message);
    } else {
      this.held.set(connection, [{ message, upto: this.appliedCount }]);
    }
  }

  /** Forget what was held for a connection that closed. */
  forget(connection: Connection): void {
    this.held.delete(connection);
  }
}

function isStateMessage(message: Uint8Array): boolean {
  try {
    const decoder = decoding.createDecoder(message);
    decoding.readVarString(decoder);
    const type = decoding.readVarUint(decoder);
    return type === SYNC || type === SYNC_STATUS;
  } catch {
    return false;
  }
}

const originalSend = Connection.prototype.send;
const sendNow = (connection: Connection, message: Uint8Array) => originalSend.call(connection, message);
const durabilityOf = new WeakMap<Document, Durability>();
let installed = false;

/**
 * The durability of `document`, made on first use. Every Hocuspocus connection sends through
 * `Connection.prototype.send`, which has no hook; it is wrapped once per process so that a
 * connection of a document with a Durability sends through it (others send as before).
 */
export function durabilityFor(document: Document): Durability {
  if (!installed) {
    installed = true;
    Connection.prototype.send = function send(this: Connection, message: Uint8Array) {
      const durability = durabilityOf.get(this.document);
      if (durability) durability.send(this, message);
      else sendNow(this, message);
    };
  }
  let durability = durabilityOf.get(document);
  if (!durability) {
    durability = new Durability();
    durabilityOf.set(document, durability);
  }
  return durability;
}
