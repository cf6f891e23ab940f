import type { Document } from "@hocuspocus/server";
import type * as Y from "yjs";
import { mergeUpdates } from "yjs";
import { parseDocumentName } from "../../shared/document-names.ts";
import { assignSequenceNumbers, getSequencedMessage, type StoredMessage } from "../../shared/room-doc/index.ts";
import { roomEffects } from "./room-effects.ts";
import { collectTouched, emptyTouched, type Touched } from "./touched.ts";
import type { UpdateLogWriter, UpdateOrigin } from "./update-log-writer.ts";

/** Who a server-side change is made for, as the update log records it. */
export interface WriteAuthor {
  origin: UpdateOrigin;
  userId: string | null;
  connectionId: string | null;
}

// setTimeout's largest delay: "hold the broadcast until we flush it ourselves".
const HOLD_BROADCAST_MS = 2 ** 31 - 1;

/** A message the server has just accepted (sequenced and stored), as its listeners need it. */
export type AcceptedMessage = Pick<StoredMessage, "id" | "sender_id" | "type" | "content" | "deleted"> & { seq: number };

/** What else a server change may do: more touched messages, a full sequencing pass. */
export interface CommitOptions {
  /** What a client's update changed, to mirror with this change. */
  alsoTouched?: Touched;
  /** Scan the whole room for unsequenced messages (after a load, when a crash may have left some). */
  sequenceAll?: boolean;
}

/** The transaction origin of a change the server makes (REST writes, sequence numbers). */
export interface ServerWriteOrigin {
  source: "local";
  context: { serverWrite: true; author: WriteAuthor };
}

/**
 * Applies server-side changes to a live room document so that nobody sees one before it is
 * durable: the change is made in one transaction while the document's broadcast is held, the
 * resulting update is appended to the log (with its relational effects), and only then is the
 * broadcast released. Every change also assigns sequence numbers to messages that lack one.
 * Changes to one document are serialized; a failed append drops the document from memory so it
 * reloads from what is stored.
 */
export class RoomWriter {
  private readonly tails = new WeakMap<Y.Doc, Promise<unknown>>();

  constructor(
    private readonly log: UpdateLogWriter,
    private readonly onAppendFailed: (document: Document) => void,
    /**
     * Told after a change to a room's relational side (last message, unread, members) is stored,
     * with the messages it accepted (in sequence order; none for edits, deletes and receipts).
     */
    private readonly onRoomStored: (roomId: string, accepted: AcceptedMessage[]) => void = () => {},
  ) {}

  /** Run `mutate` as a durable server change; resolves with its result once it is stored. */
  commit<T>(document: Document, author: WriteAuthor, mutate: (doc: Y.Doc) => T, options: CommitOptions = {}): Promise<T> {
    const previous = this.tails.get(document) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(() => this.commitNow(document, author, mutate, options));
    this.tails.set(document, next);
    return next;
  }

  private async commitNow<T>(
    document: Document,
    author: WriteAuthor,
    mutate: (doc: Y.Doc) => T,
    { alsoTouched, sequenceAll = false }: CommitOptions,
  ): Promise<T> {
    const name = parseDocumentName(document.name);
    const origin: ServerWriteOrigin = { source: "local", context: { serverWrite: true, author } };
    const touched = alsoTouched ?? emptyTouched();
    const updates: Uint8Array[] = [];
    const onUpdate = (update: Uint8Array, o: unknown) => {
      if (o === origin) updates.push(update);
    };
    const onAfterTransaction = (tr: Y.Transaction) => {
      if (tr.origin === origin) collectTouched(document, tr, touched);
    };

    // Send what is already durable now, then hold everything after it until our append commits.
    document.flush();
    const flushDelay = document.flushDelay;
    document.flushDelay = HOLD_BROADCAST_MS;
    document.on("update", onUpdate);
    document.on("afterTransaction", onAfterTransaction);
    let result: T;
    let assigned: Array<{ id: string; seq: number }> = [];
    try {
      document.transact(() => {
        result = mutate(document);
      }, origin);
      // A second transaction, once `touched` names the messages the change made: sequencing only
      // looks at those, so a send costs O(change) however long the room's history.
      if (name?.kind === "room") {
        const candidates = sequenceAll ? undefined : [...touched.messageIds];
        document.transact(() => {
          assigned = assignSequenceNumbers(document, undefined, candidates);
        }, origin);
      }
    } finally {
      document.off("update", onUpdate);
      document.off("afterTransaction", onAfterTransaction);
      document.flushDelay = flushDelay;
    }
    const effects = name?.kind === "room" ? roomEffects(document, name.roomId, touched, assigned.length > 0) : undefined;
    if (updates.length > 0 || effects) {
      try {
        await this.log.append({
          documentName: document.name,
          update: updates.length === 0 ? null : updates.length === 1 ? (updates[0] as Uint8Array) : mergeUpdates(updates),
          origin: author.origin,
          userId: author.userId,
          connectionId: author.connectionId,
          effects,
        });
      } catch (error) {
        this.onAppendFailed(document);
        throw error;
      }
    }
    document.flush();
    if (effects && name?.kind === "room") this.onRoomStored(name.roomId, acceptedFacts(document, assigned));
    // biome-ignore lint/style/noNonNullAssertion: assigned inside the synchronous transaction above
    return result!;
  }
}

/** What listeners need of the messages just sequenced, read while they are in memory: O(accepted). */
function acceptedFacts(doc: Y.Doc, assigned: Array<{ id: string; seq: number }>): AcceptedMessage[] {
  return assigned.flatMap(({ id, seq }) => {
    const m = getSequencedMessage(doc, id);
    return m ? [{ id, seq, sender_id: m.sender_id, type: m.type, content: m.content, deleted: m.deleted }] : [];
  });
}
