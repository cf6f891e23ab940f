import { describe, expect, it } from "vitest";
import type { Queryable } from "../../server/db/database.ts";
import { SharedCounters } from "../../server/sync/shared-counters.ts";
import { backendsUnderTest, useMigratedDatabase } from "../helpers/backends.ts";

describe.each(backendsUnderTest())("message rate counters shared between processes on %s", (backend) => {
  const t = useMigratedDatabase(backend);

  it("counts exactly in one process without a round trip, and each process learns the others' counts when it reconciles", async () => {
    // Two processes' counters over one table.
    const a = new SharedCounters(t.db);
    const b = new SharedCounters(t.db);
    const key = `messages:user:${crypto.randomUUID()}`;
    for (let i = 1; i <= 30; i++) expect(a.consume(key, 1, 60).consumedPoints).toBe(i);
    for (let i = 1; i <= 20; i++) b.consume(key, 1, 60);
    await a.reconcile();
    await b.reconcile();
    // b added its 20 after a's 30 were in the store: it knows all 50; a learns them on its next reconcile.
    expect(b.consume(key, 1, 60).consumedPoints).toBe(51);
    a.consume(key, 1, 60);
    await a.reconcile();
    // a now knows the 50 and its own 31st; b's 51st is still b's until b reconciles.
    expect(a.consume(key, 0, 60).consumedPoints).toBe(51);
    await b.reconcile();
    expect(b.consume(key, 0, 60).consumedPoints).toBe(52);
    const { rows } = await t.db.query<{ points: number }>("SELECT points FROM rate_limits WHERE key = $1", [key]);
    expect(rows[0]?.points).toBe(52);
    await Promise.all([a.close(), b.close()]);
  });

  it("keeps what it counted while the store was unreachable and adds it later, once", async () => {
    const key = `messages:room:${crypto.randomUUID()}`;
    // A database that refuses connections until it is back (a PostgreSQL restart).
    let reachable = false;
    const flaky: Queryable = {
      query: (sql, params) => (reachable ? t.db.query(sql, params) : Promise.reject(new Error("connect ECONNREFUSED"))) as never,
      exec: async () => {},
    };
    const errors: unknown[] = [];
    const counters = new SharedCounters(flaky, (e) => errors.push(e));
    counters.consume(key, 7, 60);
    await counters.reconcile();
    expect(errors).toHaveLength(1);
    reachable = true;
    await counters.reconcile();
    await counters.reconcile();
    const { rows } = await t.db.query<{ points: number }>("SELECT points FROM rate_limits WHERE key = $1", [key]);
    expect(rows[0]?.points).toBe(7);
    await counters.close();
  });

  it("starts a new window once the old one has passed, here and in the store", async () => {
    const counters = new SharedCounters(t.db);
    const key = `messages:slow1:${crypto.randomUUID()}`;
    counters.consume(key, 1, 0.05);
    await counters.reconcile();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(counters.consume(key, 1, 60).consumedPoints).toBe(1);
    await counters.reconcile();
    const { rows } = await t.db.query<{ points: number }>("SELECT points FROM rate_limits WHERE key = $1", [key]);
    expect(rows[0]?.points).toBe(1);
    await counters.close();
  });
});
