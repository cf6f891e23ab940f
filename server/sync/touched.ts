import type * as Y from "yjs";

/** What a set of transactions changed that the relational side mirrors. */
export interface Touched {
  messageIds: Set<string>;
  receiptUserIds: Set<string>;
}

export const emptyTouched = (): Touched => ({ messageIds: new Set(), receiptUserIds: new Set() });

/**
 * Record which messages and receipts a transaction changed: keys of the top-level `messages` and
 * `seq` maps, fields of a nested message map (named by its parent key), keys of `receipts`.
 */
export function collectTouched(doc: Y.Doc, transaction: Y.Transaction, into: Touched): void {
  // Compared by identity with the changed types, which Yjs hands out as AbstractType<any>.
  // biome-ignore-start lint/suspicious/noExplicitAny: the type Yjs itself uses for changed types
  const messages: Y.AbstractType<Y.YEvent<any>> = doc.getMap("messages") as never;
  const seq: Y.AbstractType<Y.YEvent<any>> = doc.getMap("seq") as never;
  const receipts: Y.AbstractType<Y.YEvent<any>> = doc.getMap("receipts") as never;
  // biome-ignore-end lint/suspicious/noExplicitAny: see above
  for (const [type, keys] of transaction.changed) {
    if (type === messages || type === seq) {
      for (const key of keys) if (key !== null) into.messageIds.add(key);
    } else if (type === receipts) {
      for (const key of keys) if (key !== null) into.receiptUserIds.add(key);
    } else if (type._item?.parent === messages && type._item.parentSub) {
      into.messageIds.add(type._item.parentSub);
    }
  }
}
