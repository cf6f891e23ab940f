import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { readUserView } from "../../shared/user-doc/index.ts";
import { signUpAll, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest, createThrowawayDatabase, TEST_REDIS_URL, type ThrowawayDatabase } from "../helpers/backends.ts";
import { type ServerProcess, spawnServer } from "../helpers/server-process.ts";
import { connectSocket, openDocument } from "../helpers/sync-client.ts";
import { waitFor } from "../helpers/wait-for.ts";

// Several processes share one database only on PostgreSQL; PGlite serves a single process.
describe.runIf(backendsUnderTest().includes("postgres"))("presence across server processes", () => {
  let database: ThrowawayDatabase;
  const processes: ServerProcess[] = [];
  afterAll(async () => {
    for (const p of processes) await p.stop();
    await database?.drop();
  });

  const start = async () => {
    // Fast heartbeats, so a killed process is noticed within seconds rather than half a minute.
    const p = await spawnServer({
      ...(database.env as Record<string, string>),
      REDIS_URL: TEST_REDIS_URL,
      PRESENCE_HEARTBEAT_SECONDS: "0.5",
    });
    processes.push(p);
    return p;
  };
  const befriend = async (a: TestUser, b: TestUser) => {
    const sent = await a.api.post("/api/v1/chat/friends/requests", { requestee_id: b.id });
    await b.api.put(`/api/v1/chat/friends/requests/${sent.body.id}`, { status: "accepted" });
  };

  it("counts tabs on different processes once, and sweeps the tabs of a killed process", async () => {
    database = await createThrowawayDatabase("postgres");
    const [a, b, c] = [await start(), await start(), await start()];
    const [ana, ben] = await signUpAll(a.url, "ana", "ben");
    await befriend(ana, ben);

    // Ben watches from process C; ana opens one tab on A and one on B.
    const benSocket = connectSocket(c.wsUrl);
    const benFeed = openDocument(benSocket, `user:${ben.id}`, ben.token);
    await benFeed.synced();
    const anaOnline = () => readUserView(benFeed.doc).friends[ana.id]?.is_online;
    expect(anaOnline()).toBe(false);
    const tabOnA = connectSocket(a.wsUrl);
    const tabOnB = connectSocket(b.wsUrl);
    const feedOnA = openDocument(tabOnA, `user:${ana.id}`, ana.token);
    const feedOnB = openDocument(tabOnB, `user:${ana.id}`, ana.token);
    await Promise.all([feedOnA.synced(), feedOnB.synced()]);
    await waitFor(() => anaOnline() === true, "ben to see ana online");

    // Closing the tab on A leaves her online through B.
    tabOnA.destroy();
    const friendsOf = async (user: TestUser) => (await user.api.get("/api/v1/chat/friends")).body.items;
    const sql = new pg.Client({ connectionString: database.env.DATABASE_URL });
    await sql.connect();
    const openSockets = async () =>
      (await sql.query("SELECT count(*)::int AS n FROM presence_connections WHERE user_id = $1", [ana.id])).rows[0]?.n;
    await waitFor(async () => (await openSockets()) === 1, "A to record that ana's tab closed");
    await sql.end();
    expect((await friendsOf(ben))[0]).toMatchObject({ id: ana.id, is_online: true });
    expect(anaOnline()).toBe(true);

    // Process B dies without a word: the others sweep its socket and ana goes offline.
    await b.kill9();
    await waitFor(() => anaOnline() === false, "ben to see ana offline after B died", 20_000);
    expect((await friendsOf(ben))[0]).toMatchObject({ id: ana.id, is_online: false, last_seen: expect.any(String) });
    benSocket.destroy();
  }, 60_000);
});
