import type * as Y from "yjs";

/** What a set of transactions changed that the relational side mirrors. */
export interface Touched {
  messageIds: Set<string>;
  receiptUserIds: Set<string>;
  /** Messages given their sequence number (accepted): what the event journal calls created. */
  sequencedIds: Set<string>;
  /** Fields changed in messages that existed before the change, by message id (edits, deletes). */
  messageFields: Map<string, Set<string>>;
  /** Keys of `reactions` added or removed (`${messageId}|${emoji}|${userId}`). */
  reactionKeys: Set<string>;
}

export const emptyTouched = (): Touched => ({
  messageIds: new Set(),
  receiptUserIds: new Set(),
  sequencedIds: new Set(),
  messageFields: new Map(),
  reactionKeys: new Set(),
});

/**
 * Record which messages, receipts and reactions a transaction changed: keys of the top-level
 * `messages` and `seq` maps, fields of a nested message map (named by its parent key), keys of
 * `receipts` and `reactions`. Yjs lists only real changes: an item the document already had is
 * no change, so a replayed update touches nothing.
 */
export function collectTouched(doc: Y.Doc, transaction: Y.Transaction, into: Touched): void {
  // Compared by identity with the changed types, which Yjs hands out as AbstractType<any>.
  // biome-ignore-start lint/suspicious/noExplicitAny: the type Yjs itself uses for changed types
  const messages: Y.AbstractType<Y.YEvent<any>> = doc.getMap("messages") as never;
  const seq: Y.AbstractType<Y.YEvent<any>> = doc.getMap("seq") as never;
  const receipts: Y.AbstractType<Y.YEvent<any>> = doc.getMap("receipts") as never;
  const reactions: Y.AbstractType<Y.YEvent<any>> = doc.getMap("reactions") as never;
  // biome-ignore-end lint/suspicious/noExplicitAny: see above
  for (const [type, keys] of transaction.changed) {
    if (type === messages || type === seq) {
      for (const key of keys) if (key !== null) into.messageIds.add(key);
      if (type === seq) for (const key of keys) if (key !== null) into.sequencedIds.add(key);
    } else if (type === receipts) {
      for (const key of keys) if (key !== null) into.receiptUserIds.add(key);
    } else if (type === reactions) {
      for (const key of keys) if (key !== null) into.reactionKeys.add(key);
    } else if (type._item?.parent === messages && type._item.parentSub) {
      // Yjs reports a nested map's fields only for a map that existed before the transaction.
      const id = type._item.parentSub;
      into.messageIds.add(id);
      const fields = into.messageFields.get(id) ?? new Set<string>();
      for (const key of keys) if (key !== null) fields.add(key);
      into.messageFields.set(id, fields);
    }
  }
}
