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
  private applying = false;
  private failedFlag = false;
  private readonly held = new Map<Connection, Held[]>();
  /** Marks stored ahead of an older one still being stored. */
  private readonly completed = new Set<number>();
  private readonly waiting: Array<{ upto: number; resolve: () => void }> = [];

  /**
   * A change is about to be applied: whatever is sent meanwhile (Hocuspocus may flush a large
   * broadcast inside the apply) waits for its mark too. Then `endApply` takes the mark, or none
   * when the change made nothing to store.
   */
  beginApply(): void {
    if (this.failedFlag) throw new Error("this document's changes could not be stored; it is being reloaded");
    this.applying = true;
  }

  /** The change is applied: its mark when it made something to store (pass it to `stored`), else null. */
  endApply(madeChange: boolean): number | null {
    this.applying = false;
    if (madeChange) {
      this.appliedCount += 1;
      return this.appliedCount;
    }
    // Nothing to store: what was held for it waits only for the changes before it.
    for (const queue of this.held.values()) for (const h of queue) h.upto = Math.min(h.upto, this.appliedCount);
    this.release();
    return null;
  }

  /** How many changes were applied so far (a change of the document between two reads of it). */
  get version(): number {
    return this.appliedCount;
  }

  /** True once a change could not be stored: nothing more is applied, sent or released. */
  get failed(): boolean {
    return this.failedFlag;
  }

  /** A change could not be stored: drop everything held (the document is dropped and its sockets closed). */
  fail(): void {
    this.failedFlag = true;
    this.held.clear();
    for (const w of this.waiting.splice(0)) w.resolve();
  }

  /** Resolves once every change applied so far is stored (or the document failed). */
  whenSettled(): Promise<void> {
    if (this.settled || this.failedFlag) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ upto: this.appliedCount, resolve }));
  }

  /**
   * The change of `mark` is durable: once every change before it is too, send what waited for
   * them. Marks may complete out of order (a replica's forwarded changes are answered per
   * connection); what is shown never runs ahead of the oldest change still being stored.
   */
  stored(mark: number): void {
    if (this.failedFlag || mark <= this.durableCount) return;
    this.completed.add(mark);
    const before = this.durableCount;
    while (this.completed.delete(this.durableCount + 1)) this.durableCount += 1;
    if (this.durableCount > before) this.release();
  }

  private release(): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const w = this.waiting[i] as { upto: number; resolve: () => void };
      if (w.upto <= this.durableCount) {
        this.waiting.splice(i, 1);
        w.resolve();
      }
    }
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
    return !this.applying && this.durableCount >= this.appliedCount;
  }

  /** Send `message` to `connection` now, or hold it until what it may reveal is durable. */
  send(connection: Connection, message: Uint8Array): void {
    if (!isStateMessage(message)) {
      sendNow(connection, message);
      return;
    }
    // A failed document's state is not what is stored: its sockets are being closed.
    if (this.failedFlag) return;
    const upto = this.appliedCount + (this.applying ? 1 : 0);
    const queue = this.held.get(connection);
    if (queue) queue.push({ message, upto });
    else if (this.settled) sendNow(connection, message);
    else this.held.set(connection, [{ message, upto }]);
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
