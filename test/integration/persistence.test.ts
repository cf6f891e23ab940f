import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { migrateDown, migrateUp } from "../../server/db/migrate.ts";
import { openDatabase } from "../../server/db/open.ts";
import { roomDocToJSON } from "../../shared/room-doc/index.ts";
import { signUpAll } from "../helpers/api-client.ts";
import { backendsUnderTest, createThrowawayDatabase } from "../helpers/backends.ts";
import { useTestServer } from "../helpers/test-server.ts";
import { waitFor } from "../helpers/wait-for.ts";

describe.each(backendsUnderTest())("persistence on %s", (backend) => {
  const t = useTestServer(backend, { COMPACT_AFTER_UPDATES: "10" });

  const logCount = async (name: string) =>
    (await t.server.context.db.query<{ n: number }>("SELECT count(*)::int AS n FROM document_updates WHERE document_name = $1", [name]))
      .rows[0]?.n;

  it("stores a message as one small log entry, not a rewrite of the document", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { participant_ids: [ben.id] })).body.id;
    const name = `room:${roomId}`;
    for (let i = 0; i < 5; i++) await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: `warm-up ${i} ${"x".repeat(200)}` });
    const { rows } = await t.server.context.db.query<{ bytes: number }>(
      "SELECT length(update) AS bytes FROM document_updates WHERE document_name = $1 ORDER BY id DESC LIMIT 1",
      [name],
    );
    // One message with 200+ characters: the entry holds that message, not the five before it.
    expect(rows[0]?.bytes).toBeGreaterThan(200);
    expect(rows[0]?.bytes).toBeLessThan(1000);
    const entry = await t.server.context.db.query<{ origin: string; user_id: string }>(
      "SELECT origin, user_id FROM document_updates WHERE document_name = $1 ORDER BY id DESC LIMIT 1",
      [name],
    );
    expect(entry.rows[0]).toEqual({ origin: "rest", user_id: ana.id });
  });

  it("compacts the log into a snapshot that loads to the same document, keeping the log as history", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { participant_ids: [ben.id] })).body.id;
    const name = `room:${roomId}`;
    for (let i = 0; i < 12; i++) await (i % 2 ? ben : ana).api.post(`/api/v1/chat/messages/${roomId}`, { content: `set ${i}` });
    const before = await t.server.context.store.load(name);
    expect(before?.updatesSinceSnapshot).toBeGreaterThanOrEqual(12);
    // The debounced store hook compacts on its own once the threshold is passed.
    await waitFor(
      async () => {
        const { rows } = await t.server.context.db.query("SELECT 1 FROM document_snapshots WHERE document_name = $1", [name]);
        return rows.length > 0;
      },
      "the automatic compaction",
      45_000,
    );
    const after = await t.server.context.store.load(name);
    expect(after?.updatesSinceSnapshot).toBeLessThan(before?.updatesSinceSnapshot ?? 0);
    const asJson = (state: Uint8Array | undefined) => {
      const doc = new Y.Doc();
      if (state) Y.applyUpdate(doc, state);
      return roomDocToJSON(doc);
    };
    expect(asJson(after?.state)).toEqual(asJson(before?.state));
    expect(await logCount(name)).toBeGreaterThanOrEqual(12);
    expect(await t.server.context.store.compact(name)).toBeNull();
  }, 60_000);
});

describe.each(backendsUnderTest())("migrations on %s", (backend) => {
  it("apply up, revert every one down and apply again", async () => {
    const database = await createThrowawayDatabase(backend);
    const db = await openDatabase({ DATABASE_URL: database.env.DATABASE_URL, dataDir: database.env.DATA_DIR });
    try {
      const all = await migrateUp(db);
      expect(all[0]).toBe("0001_initial");
      expect(await migrateUp(db)).toEqual([]);
      const tables = async () =>
        (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'chat_rooms'")).rows[0]
          ?.n;
      expect(await tables()).toBe(1);
      expect(await migrateDown(db, 0)).toEqual([...all].reverse());
      expect(await tables()).toBe(0);
      expect(await migrateUp(db)).toEqual(all);
    } finally {
      await db.close();
      await database.drop();
    }
  });
});
