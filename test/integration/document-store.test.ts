import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { StatementParams } from "../../server/db/statement-params.ts";
import { type LogRow, sqlDocumentStore } from "../../server/documents/document-store.ts";
import { backendsUnderTest, useMigratedDatabase } from "../helpers/backends.ts";
import { waitFor } from "../helpers/wait-for.ts";

/** An update that sets `key` to `value` in the map "m" of a replica of `doc`. */
function change(doc: Y.Doc, key: string, value: string): Uint8Array {
  const before = Y.encodeStateVector(doc);
  doc.getMap("m").set(key, value);
  return Y.encodeStateAsUpdate(doc, before);
}

const contents = (doc: Y.Doc) => doc.getMap("m").toJSON();

// The contract every document store keeps, on both backends (STYLE 5).
describe.each(backendsUnderTest())("the document store on %s", (backend) => {
  const t = useMigratedDatabase(backend);
  const store = () => sqlDocumentStore(t.db);

  /** Append rows as the server's commit does: the store's part of one statement (appendPart). */
  const appendRows = (rows: LogRow[]) =>
    t.db.transaction(async (tx) => {
      const params = new StatementParams();
      const part = store().appendPart(
        rows,
        rows.map((r) => r.documentName),
        params,
      );
      const { rows: ids } = await tx.query<{ id: string }>(`WITH ${part} SELECT id::text FROM logged`, params.values);
      return ids.map((r) => Number(r.id)).sort((a, b) => a - b);
    });
  const append = (name: string, update: Uint8Array) =>
    appendRows([{ documentName: name, update, origin: "connection", userId: null, connectionId: "c1" }]);

  it("appends the rows of several documents in one statement, each in the order given", async () => {
    const [first, second] = [`room:${crypto.randomUUID()}`, `room:${crypto.randomUUID()}`];
    const [a, b] = [new Y.Doc(), new Y.Doc()];
    const rows: LogRow[] = [
      { documentName: first, update: change(a, "x", "1"), origin: "connection", userId: null, connectionId: "c1" },
      { documentName: second, update: change(b, "y", "1"), origin: "rest", userId: null, connectionId: null },
      { documentName: first, update: change(a, "x", "2"), origin: "server", userId: null, connectionId: null },
    ];
    const ids = await appendRows(rows);
    expect(ids).toHaveLength(3);
    const { changes } = await store().changes(first);
    expect(changes.map((c) => [c.id, c.origin])).toEqual([
      [ids[0], "connection"],
      [ids[2], "server"],
    ]);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, (await store().load(first))?.state as Uint8Array);
    expect(contents(doc)).toEqual({ x: "2" });
  });

  it("loads nothing for a document never stored, then the merge of everything appended", async () => {
    const name = `room:${crypto.randomUUID()}`;
    expect(await store().load(name)).toBeNull();
    const writer = new Y.Doc();
    await append(name, change(writer, "a", "1"));
    await append(name, change(writer, "b", "2"));
    const loaded = await store().load(name);
    expect(loaded).toMatchObject({ snapshotBytes: 0, updatesSinceSnapshot: 2 });
    const doc = new Y.Doc();
    Y.applyUpdate(doc, loaded?.state as Uint8Array);
    expect(contents(doc)).toEqual({ a: "1", b: "2" });
  });

  it("compacts the log into a snapshot: a load reads the snapshot and only what follows it, and the log stays as history", async () => {
    const name = `room:${crypto.randomUUID()}`;
    const writer = new Y.Doc();
    for (let i = 0; i < 5; i++) await append(name, change(writer, `k${i}`, `v${i}`));
    expect(await store().compact(name)).toMatchObject({ folded: 5 });
    expect(await store().compact(name)).toBeNull();
    await append(name, change(writer, "after", "x"));
    const loaded = await store().load(name);
    expect(loaded).toMatchObject({ updatesSinceSnapshot: 1 });
    expect(loaded?.snapshotBytes).toBeGreaterThan(0);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, loaded?.state as Uint8Array);
    expect(Object.keys(contents(doc)).sort()).toEqual(["after", "k0", "k1", "k2", "k3", "k4"]);
    const { changes } = await store().changes(name);
    expect(changes.map((c) => c.origin)).toEqual(Array(6).fill("connection"));
  });

  it("loads a document as it was at an earlier time, across a compaction", async () => {
    const name = `room:${crypto.randomUUID()}`;
    const writer = new Y.Doc();
    await append(name, change(writer, "first", "1"));
    await store().compact(name);
    const before = new Date();
    // The log's clock is the database's: wait until it has moved past `before`.
    await waitFor(async () => {
      const { rows } = await t.db.query<{ now: Date }>("SELECT now() AS now");
      return (rows[0]?.now.getTime() ?? 0) > before.getTime();
    }, "the database clock to move on");
    await append(name, change(writer, "second", "2"));
    expect(contents(await store().loadAt(name, before))).toEqual({ first: "1" });
    expect(contents(await store().loadAt(name))).toEqual({ first: "1", second: "2" });
  });

  it("appends a server change under the document's lock, and rewrites a document into one snapshot without its deleted content", async () => {
    const name = `room:${crypto.randomUUID()}`;
    const writer = new Y.Doc();
    await append(name, change(writer, "secret", "shh"));
    const { changed } = await t.db.transaction((tx) =>
      store()
        .in(tx)
        .appendChange(name, null, (doc) => doc.getMap("m").delete("secret")),
    );
    expect(changed).toBe(true);
    expect(contents(await store().loadAt(name))).toEqual({});
    await t.db.transaction((tx) =>
      store()
        .in(tx)
        .rewrite(name, (doc) => doc.getMap("m").set("kept", "yes")),
    );
    const { changes } = await store().changes(name);
    expect(changes).toEqual([]);
    const loaded = await store().load(name);
    expect(Buffer.from(loaded?.state as Uint8Array).includes(Buffer.from("shh"))).toBe(false);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, loaded?.state as Uint8Array);
    expect(contents(doc)).toEqual({ kept: "yes" });
  });

  it("prunes only history a snapshot already holds", async () => {
    const name = `room:${crypto.randomUUID()}`;
    const writer = new Y.Doc();
    await append(name, change(writer, "a", "1"));
    await store().compact(name);
    await append(name, change(writer, "b", "2"));
    // Days = 0: everything older than now that a snapshot holds may go; the unsnapshotted entry stays.
    const pruned = await t.db.transaction((tx) => store().in(tx).pruneHistory(0));
    expect(pruned.updates_removed).toBeGreaterThanOrEqual(1);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, (await store().load(name))?.state as Uint8Array);
    expect(contents(doc)).toEqual({ a: "1", b: "2" });
  });
});
