import * as Y from "yjs";
import type { DocumentStore } from "../documents/document-store.ts";

/** One stored change of a document, described. */
export interface HistoryEntry {
  id: number;
  at: string;
  origin: string;
  user: string | null;
  bytes: number;
  changes: string[];
}

/**
 * The timeline of a document's update log, oldest first, each entry with when, by whom, how many
 * bytes and what it changed ("message added", "message edited", "reaction added"…), worked out by
 * replaying the log (from the newest snapshot before it, when the start was folded away).
 */
export async function documentHistory(store: DocumentStore, documentName: string, limit: number): Promise<HistoryEntry[]> {
  const { base, changes: rows } = await store.changes(documentName);
  const doc = new Y.Doc();
  if (base) Y.applyUpdate(doc, base);
  const entries: HistoryEntry[] = [];
  for (const row of rows) {
    const changes = new Set<string>();
    const describe = (tr: Y.Transaction) => describeTransaction(doc, tr, changes);
    doc.on("afterTransaction", describe);
    Y.applyUpdate(doc, row.update);
    doc.off("afterTransaction", describe);
    entries.push({
      id: Number(row.id),
      at: row.createdAt.toISOString(),
      origin: row.origin,
      user: row.username ?? (row.origin === "server" ? "(server)" : null),
      bytes: row.update.length,
      changes: [...changes],
    });
  }
  doc.destroy();
  return entries.slice(-limit);
}

/** Name what a transaction changed in a room or user document. */
function describeTransaction(doc: Y.Doc, tr: Y.Transaction, into: Set<string>): void {
  const messages = doc.getMap("messages");
  for (const [type, keys] of tr.changed) {
    const name = rootName(doc, type);
    if (type === (messages as unknown)) {
      for (const key of keys) if (key !== null) into.add(messages.has(key) ? "message added" : "message removed");
    } else if (type._item?.parent === (messages as unknown)) {
      if (keys.has("deleted")) into.add("message deleted");
      else if (keys.has("content") || keys.has("edited_at")) into.add("message edited");
      else into.add("message changed");
    } else if (name === "reactions") {
      for (const key of keys) if (key !== null) into.add(doc.getMap("reactions").has(key) ? "reaction added" : "reaction removed");
    } else if (name === "receipts") into.add("receipt moved");
    else if (name === "seq") into.add("sequenced");
    else if (name === "meta") into.add("schema version");
    else into.add(`${name ?? "nested"} changed`);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the type Yjs hands out for changed types
function rootName(doc: Y.Doc, type: Y.AbstractType<any>): string | null {
  for (const [name, root] of doc.share) if (root === type) return name;
  return null;
}
