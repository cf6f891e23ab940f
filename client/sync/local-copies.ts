import { IndexeddbPersistence } from "y-indexeddb";
import type * as Y from "yjs";
import type { LocalCopy } from "./room-session.ts";

/**
 * The offline copies of one account's documents in IndexedDB (y-indexeddb), one database per
 * document, named after the account so another account on this browser never sees them.
 */
export class LocalCopies implements LocalCopy {
  private readonly open = new Map<string, IndexeddbPersistence>();

  constructor(private readonly userId: string) {}

  private databaseName(documentName: string): string {
    return `chat:${this.userId}:${documentName}`;
  }

  /** Load the stored copy into `doc` and keep storing its changes; resolves once loaded. */
  async attach(documentName: string, doc: Y.Doc): Promise<void> {
    this.open.get(documentName)?.destroy();
    const persistence = new IndexeddbPersistence(this.databaseName(documentName), doc);
    this.open.set(documentName, persistence);
    await persistence.whenSynced;
  }

  async clear(documentName: string): Promise<void> {
    const persistence = this.open.get(documentName);
    this.open.delete(documentName);
    if (persistence) await persistence.clearData();
    else await deleteDatabase(this.databaseName(documentName));
  }

  /** Stop storing (the documents stay on disk). */
  close(): void {
    for (const persistence of this.open.values()) void persistence.destroy();
    this.open.clear();
  }

  /** Delete every stored document of this account (at logout). */
  async clearAll(): Promise<void> {
    this.close();
    const prefix = this.databaseName("");
    const databases = await indexedDB.databases();
    await Promise.all(databases.flatMap((db) => (db.name?.startsWith(prefix) ? [deleteDatabase(db.name)] : [])));
  }
}

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
    // Another tab holding it open: it is deleted once that tab lets go.
    request.onblocked = () => resolve();
  });
}
