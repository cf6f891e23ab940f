import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  appendEvents,
  type Cursor,
  compareCursors,
  decodeCursor,
  encodeCursor,
  type JournalDraft,
  prunedHorizon,
  pruneJournal,
  readRange,
  readSettled,
  settledHead,
} from "../../server/events/journal.ts";
import { backendsUnderTest, useMigratedDatabase } from "../helpers/backends.ts";
import { waitFor } from "../helpers/wait-for.ts";

const draft = (n: string): JournalDraft => ({
  roomId: null,
  userId: randomUUID(),
  actorId: null,
  kind: "friend_request.updated",
  payload: { n },
});

const names = (rows: Array<{ payload: Record<string, unknown> }>) => rows.map((r) => r.payload.n);

describe.each(backendsUnderTest())("the event journal on %s", (backend) => {
  const storage = useMigratedDatabase(backend);

  it("reads rows in order after a cursor, and pages through a range it has seen", async () => {
    const { db } = storage;
    const head = await settledHead(db);
    await db.transaction((tx) => appendEvents(tx, [draft("a"), draft("b")]));
    await db.transaction((tx) => appendEvents(tx, [draft("c")]));
    const settled = await waitFor(async () => {
      const page = await readSettled(db, head, 100);
      return page.rows.length === 3 ? page : null;
    }, "three settled rows");
    expect(names(settled.rows)).toEqual(["a", "b", "c"]);
    const [a, b, c] = settled.rows.map((r) => r.cursor) as [Cursor, Cursor, Cursor];
    expect(compareCursors(a, b)).toBeLessThan(0);
    expect(compareCursors(b, c)).toBeLessThan(0);
    expect(names(await readRange(db, a, c, 100))).toEqual(["b", "c"]);
    expect(names(await readSettled(db, b, 100).then((p) => p.rows))).toEqual(["c"]);
    // The SSE id is opaque text that comes back as the same position.
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    expect(decodeCursor("12-ab-cd")).toBeNull();
  });

  it("moves the horizon past what it prunes, so older cursors can be told to reset", async () => {
    const { db } = storage;
    const head = await settledHead(db);
    await db.transaction((tx) => appendEvents(tx, [draft("old")]));
    const old = await waitFor(async () => (await readSettled(db, head, 100)).rows.find((r) => r.payload.n === "old"), "the row");
    expect(await pruneJournal(db, 0, 1_000_000)).toBeGreaterThan(0);
    const horizon = await prunedHorizon(db);
    expect(compareCursors(head, horizon)).toBeLessThan(0);
    expect(compareCursors(old.cursor, horizon)).toBeLessThanOrEqual(0);
    // A size bound prunes too: keep the newest one.
    await db.transaction((tx) => appendEvents(tx, [draft("x"), draft("y"), draft("z")]));
    await waitFor(async () => (await readSettled(db, horizon, 100)).rows.length === 3, "three rows");
    expect(await pruneJournal(db, 3600, 1)).toBe(2);
    expect(names((await readSettled(db, horizon, 100)).rows)).toEqual(["z"]);
  });

  // Two transactions at once need two connections: PostgreSQL only (PGlite has one).
  it.runIf(backend === "postgres")(
    "never skips a row that took a lower id but committed after a later one (xid order, settled rows only)",
    async () => {
      const { db } = storage;
      const head = await settledHead(db);
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let inserted = () => {};
      const firstInserted = new Promise<void>((resolve) => {
        inserted = resolve;
      });
      // The first transaction takes its id, then stays open while a second one commits.
      const first = db.transaction(async (tx) => {
        await appendEvents(tx, [draft("first")]);
        inserted();
        await held;
      });
      await firstInserted;
      await db.transaction((tx) => appendEvents(tx, [draft("second")]));

      // Reading by id alone would hand out "second" now and move past "first" for good.
      const byId = await db.query<{ n: string }>(
        "SELECT payload->>'n' AS n FROM chat_events WHERE (xid, id) > ($1::text::xid8, 0) ORDER BY id",
        [head.xid.toString()],
      );
      expect(byId.rows.map((r) => r.n)).toEqual(["second"]);
      // The journal's reader waits: the first transaction is still running.
      const waiting = await readSettled(db, head, 100);
      expect(waiting.rows).toEqual([]);
      expect(waiting.unsettled).toBe(true);

      release();
      await first;
      const settled = await waitFor(async () => {
        const page = await readSettled(db, head, 100);
        return page.rows.length === 2 ? page : null;
      }, "both rows to settle");
      expect(names(settled.rows)).toEqual(["first", "second"]);
    },
  );
});
