import type { Document } from "@hocuspocus/server";
import * as Y from "yjs";
import { parseDocumentName } from "../../shared/document-names.ts";
import { assignSequenceNumbers, getSequencedMessage, isSealed, type StoredMessage, sealSegment } from "../../shared/room-doc/index.ts";
import type { RoomLease } from "../cluster/room-leases.ts";
import type { Queryable } from "../db/database.ts";
import { type Durability, durabilityFor } from "./durability.ts";
import { roomMirror } from "./room-effects.ts";
import { collectTouched, emptyTouched } from "./touched.ts";
import type { UpdateLogWriter, UpdateOrigin } from "./update-log-writer.ts";

/** Who a change is made for, as the update log records it. */
export interface WriteAuthor {
  origin: UpdateOrigin;
  userId: string | null;
  connectionId: string | null;
}

/** A message the server has just accepted (sequenced and stored), as its listeners need it. */
export type AcceptedMessage = Pick<StoredMessage, "id" | "sender_id" | "type" | "content" | "deleted"> & { seq: number };

/** What else a server change may do. */
export interface CommitOptions {
  /** Scan the whole room for unsequenced messages (after a load, when a crash may have left some). */
  sequenceAll?: boolean;
}

/** The transaction origin of a change the server makes (REST writes, sequence numbers). */
export interface ServerWriteOrigin {
  source: "local";
  context: { serverWrite: true; author: WriteAuthor };
}

/** A client's update the gate accepted, with what must commit with it. */
export interface ClientChange {
  /** The transaction origin: the connection here, or the forwarding process's client. */
  origin: unknown;
  /** Only what the server lacks (the gate diffed it against the document's state vector). */
  update: Uint8Array;
  author: WriteAuthor;
  /** Relational writes of the gate's (client-id bindings, media claims), in the same transaction. */
  effects?: (tx: Queryable) => Promise<void>;
  /** Run in the same synchronous step as sequencing (e.g. restoring a receipt a stale tab moved back). */
  afterApply?: (doc: Y.Doc) => void;
  /** The new message ids it creates, checked in the commit against other rooms'. */
  newMessageIds?: string[];
  /** Told why it could not be stored, before the document is dropped and its sockets closed. */
  onStoreFailed?: (error: unknown) => void;
}

/** How a room's changes reach other processes (set when several serve the database). */
export interface WriterReplication {
  /** The lease `document` is sequenced under here; undefined when this process does not own it. */
  leaseOf(document: Document): RoomLease | undefined;
  /** An entry of `document` is committed as log id `id`: tell the other processes (in log order). */
  logged(document: Document, id: number, update: Uint8Array): void;
}

/** Where a room document's segment starts, and when a live segment is sealed (docs/architecture.md "Long-lived rooms"). */
export interface WriterSegments {
  /** The segment `document` is and the first number it gives; undefined for documents that are not rooms. */
  of(document: Document): { segment: number; firstSeq: number } | undefined;
  /** Accepted messages a live segment holds before it is sealed; 0: never. */
  sealAt: number;
  /** A segment after the head was sealed and stored: the head must name `next` as the live one. */
  sealed(roomId: string, next: number): void;
}

/**
 * Applies every change to a live document the moment it is accepted, and stores it with its
 * sequence numbers and relational mirror as one update-log entry in the next group commit.
 *
 * A client's update and a server change (a REST write, system messages, the sequencing pass after
 * a load) take the same path: applied in one synchronous step together with the sequence numbers
 * of the messages it makes (so the next update is judged against it and the numbers are the
 * room's next), then appended. Until the append commits, the document's connections are shown
 * nothing of it (see Durability), and a failed append drops the document from memory so it
 * reloads from what is stored. Nothing waits for a previous change to be stored before applying:
 * changes arriving during a commit join the next one.
 */
export class RoomWriter {
  constructor(
    private readonly log: UpdateLogWriter,
    private readonly onAppendFailed: (document: Document) => void,
    /**
     * Told after a change to a room's relational side (last message, unread, members) is stored,
     * with the messages it accepted (in sequence order; none for edits, deletes and receipts).
     */
    private readonly onRoomStored: (roomId: string, accepted: AcceptedMessage[]) => void = () => {},
  ) {}

  /** Set when several processes serve the database (see RoomReplication). */
  replication: WriterReplication | null = null;

  /** Set by the sync server: segments' first numbers and when to seal. */
  segments: WriterSegments | null = null;

  /** Run `mutate` as a server change; resolves with its result once it is stored. */
  async commit<T>(document: Document, author: WriteAuthor, mutate: (doc: Y.Doc) => T, options: CommitOptions = {}): Promise<T> {
    const origin: ServerWriteOrigin = { source: "local", context: { serverWrite: true, author } };
    let result: T | undefined;
    await this.applyAndStore(
      document,
      author,
      origin,
      (doc) => {
        result = mutate(doc);
      },
      options,
    );
    return result as T;
  }

  /**
   * Apply a client's accepted update now and store it in the next commit. Returns once it is
   * applied; the promise it returns settles when it is stored (acknowledgements wait for that).
   */
  applyClientUpdate(document: Document, change: ClientChange): { stored: Promise<void> } {
    const stored = this.applyAndStore(
      document,
      change.author,
      change.origin,
      (doc) => {
        Y.applyUpdate(doc, change.update, change.origin);
      },
      {},
      {
        effects: change.effects,
        afterApply: change.afterApply,
        newMessageIds: change.newMessageIds,
        onStoreFailed: change.onStoreFailed,
      },
    );
    return { stored };
  }

  private applyAndStore(
    document: Document,
    author: WriteAuthor,
    origin: unknown,
    change: (doc: Y.Doc) => void,
    { sequenceAll = false }: CommitOptions,
    client: Omit<ClientChange, "origin" | "update" | "author"> = {},
  ): Promise<void> {
    const { effects: gateEffects, afterApply, newMessageIds, onStoreFailed } = client;
    const name = parseDocumentName(document.name);
    const sequencing: ServerWriteOrigin = { source: "local", context: { serverWrite: true, author } };
    const touched = emptyTouched();
    const updates: Uint8Array[] = [];
    const onUpdate = (update: Uint8Array) => updates.push(update);
    const onAfterTransaction = (tr: Y.Transaction) => collectTouched(document, tr, touched);
    let assigned: Array<{ id: string; seq: number }> = [];
    let seal: { segment: number; nextFirstSeq: number } | undefined;
    const segment = name?.kind === "room" ? this.segments?.of(document) : undefined;
    const sealAt = this.segments?.sealAt ?? 0;
    const durability = durabilityFor(document);
    // Throws for a document whose earlier change could not be stored (it is being dropped).
    durability.beginApply();
    let made = false;
    document.on("update", onUpdate);
    document.on("afterTransaction", onAfterTransaction);
    try {
      document.transact(() => change(document), origin);
      // A second transaction, once `touched` names the messages the change made: sequencing only
      // looks at those, so a send costs O(change) however long the room's history.
      if (name?.kind === "room") {
        const candidates = sequenceAll ? undefined : [...touched.messageIds];
        document.transact(() => {
          assigned = assignSequenceNumbers(document, undefined, candidates, segment?.firstSeq);
          afterApply?.(document);
          // The numbers that fill a live segment seal it in the same step: no later message is
          // numbered here, and the next segment starts one past its last.
          // A segment's numbers run on from its first, so the last one given says how many it holds
          // (counting the map would cost the whole segment on every change).
          const last = assigned.length > 0 ? Math.max(...assigned.map((a) => a.seq)) : 0;
          if (segment && sealAt > 0 && last - segment.firstSeq + 1 >= sealAt && !isSealed(document)) {
            sealSegment(document, segment.segment);
            seal = { segment: segment.segment, nextFirstSeq: last + 1 };
          }
        }, sequencing);
      }
      made = true;
    } finally {
      document.off("update", onUpdate);
      document.off("afterTransaction", onAfterTransaction);
      // A change that threw half-way is not stored: the document must reload.
      if (!made) {
        durability.endApply(updates.length > 0);
        if (updates.length > 0) this.fail(document, durability);
      }
    }
    const mirror = name?.kind === "room" ? roomMirror(document, name.roomId, touched, assigned.length > 0, name.segment, seal) : undefined;
    const mark = durability.endApply(updates.length > 0 || mirror !== undefined || gateEffects !== undefined);
    if (mark === null) return Promise.resolve();
    // Read now, while in memory: the messages just sequenced, for the listeners told once stored.
    const accepted = name?.kind === "room" ? acceptedFacts(document, assigned) : [];
    const update = updates.length === 0 ? null : updates.length === 1 ? (updates[0] as Uint8Array) : Y.mergeUpdates(updates);
    const stored = this.log.append({
      documentName: document.name,
      update,
      origin: author.origin,
      userId: author.userId,
      connectionId: author.connectionId,
      effects: gateEffects,
      mirror,
      // Entries after a failed one of this document are not stored either: they build on it.
      owner: durability,
      lease: this.replication?.leaseOf(document),
      messageIds:
        name?.kind === "room" && newMessageIds?.length ? { roomId: name.roomId, segment: name.segment, ids: newMessageIds } : undefined,
    });
    return stored.then(
      (id) => {
        // Told before anyone here is shown it: a process that forwarded the change hears the
        // entry before its answer (one Redis connection keeps the order).
        if (id !== null && update) this.replication?.logged(document, id, update);
        durability.stored(mark);
        if (mirror && name?.kind === "room") this.onRoomStored(name.roomId, accepted);
        // The head was sealed in its own change; a later segment's seal is announced in the head.
        if (seal && seal.segment > 0 && name?.kind === "room") this.segments?.sealed(name.roomId, seal.segment + 1);
      },
      (error: unknown) => {
        onStoreFailed?.(error);
        this.fail(document, durability);
        throw error;
      },
    );
  }

  /** Once per document: nothing more of it is applied, sent or stored, and it is dropped to reload. */
  private fail(document: Document, durability: Durability): void {
    if (durability.failed) return;
    durability.fail();
    this.log.failOwner(durability);
    this.onAppendFailed(document);
  }
}

/** What listeners need of the messages just sequenced, read while they are in memory: O(accepted). */
function acceptedFacts(doc: Y.Doc, assigned: Array<{ id: string; seq: number }>): AcceptedMessage[] {
  return assigned.flatMap(({ id, seq }) => {
    const m = getSequencedMessage(doc, id);
    return m ? [{ id, seq, sender_id: m.sender_id, type: m.type, content: m.content, deleted: m.deleted }] : [];
  });
}
