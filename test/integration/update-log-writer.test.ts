import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { sqlDocumentStore } from "../../server/documents/document-store.ts";
import { type LogEntry, UpdateLogWriter } from "../../server/sync/update-log-writer.ts";
import { backendsUnderTest, useMigratedDatabase } from "../helpers/backends.ts";

describe.each(backendsUnderTest())("the update log's group commit on %s", (backend) => {
  const t = useMigratedDatabase(backend);

  it("stores nothing of a document after one of its entries fails, and everything of the others", async () => {
    const store = sqlDocumentStore(t.db);
    const log = new UpdateLogWriter(t.db, store);
    const writer = new Y.Doc();
    const update = (value: string) => {
      const before = Y.encodeStateVector(writer);
      writer.getMap("m").set(value, value);
      return Y.encodeStateAsUpdate(writer, before);
    };
    const broken = { copy: "the copy whose second change fails" };
    const healthy = { copy: "another document's copy" };
    const entry = (documentName: string, owner: object, value: string, effects?: LogEntry["effects"]): LogEntry => ({
      documentName,
      update: update(value),
      origin: "connection",
      userId: null,
      connectionId: null,
      owner,
      effects,
    });
    // All appended in one turn: one batch, which fails and is retried one entry at a time.
    const outcomes = await Promise.allSettled([
      log.append(entry("room:a", broken, "a1")),
      log.append(
        entry("room:a", broken, "a2", async () => {
          throw new Error("a claim conflict");
        }),
      ),
      log.append(entry("room:b", healthy, "b1")),
      log.append(entry("room:a", broken, "a3")),
      log.append(entry("room:b", healthy, "b2")),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled", "rejected", "fulfilled"]);
    // A later change of the failed copy is refused too, without reaching the database.
    await expect(log.append(entry("room:a", broken, "a4"))).rejects.toThrow();
    const stored = async (name: string) => (await store.changes(name)).changes.length;
    expect(await stored("room:a")).toBe(1);
    expect(await stored("room:b")).toBe(2);
  });

  it("stores a burst of more entries than one statement can carry parameters for (PostgreSQL: 65,535)", async () => {
    const store = sqlDocumentStore(t.db);
    const log = new UpdateLogWriter(t.db, store);
    const writer = new Y.Doc();
    const entries: LogEntry[] = [];
    for (let i = 0; i < 12_000; i++) {
      const before = Y.encodeStateVector(writer);
      writer.getMap("m").set(`k${i}`, i);
      entries.push({
        documentName: "room:burst",
        update: Y.encodeStateAsUpdate(writer, before),
        origin: "connection",
        userId: null,
        connectionId: null,
      });
    }
    // Appended in one turn: one queue of 12,000 entries, six parameters each.
    const ids = await Promise.all(entries.map((e) => log.append(e)));
    expect(new Set(ids).size).toBe(12_000);
    const loaded = new Y.Doc();
    Y.applyUpdate(loaded, (await store.load("room:burst"))?.state as Uint8Array);
    expect(loaded.getMap("m").size).toBe(12_000);
  });
});
