import { afterAll, describe, expect, it } from "vitest";
import { signUp } from "../helpers/api-client.ts";
import { backendsUnderTest, createThrowawayDatabase, TEST_REDIS_URL, type ThrowawayDatabase } from "../helpers/backends.ts";
import { type ServerProcess, spawnServer } from "../helpers/server-process.ts";
import { connectSocket, openDocument } from "../helpers/sync-client.ts";
import { waitFor } from "../helpers/wait-for.ts";

// Several processes share one database only on PostgreSQL; PGlite serves a single process.
describe.runIf(backendsUnderTest().includes("postgres"))("two server processes over one PostgreSQL", () => {
  let database: ThrowawayDatabase;
  const processes: ServerProcess[] = [];
  afterAll(async () => {
    for (const p of processes) await p.stop();
    await database?.drop();
  });

  it("disconnects a removed member at once even when another process holds their connection", async () => {
    database = await createThrowawayDatabase("postgres");
    const env = { ...(database.env as Record<string, string>), REDIS_URL: TEST_REDIS_URL };
    const a = await spawnServer(env);
    processes.push(a);
    const b = await spawnServer(env);
    processes.push(b);
    const ana = await signUp(a.url, "ana");
    const ben = await signUp(a.url, "ben");
    const room = (
      await ana.api.post("/api/v1/chat/rooms", {
        type: "group",
        name: "Crew",
        participant_ids: [ben.id],
      })
    ).body;

    const socket = connectSocket(b.wsUrl);
    const benRoom = openDocument(socket, `room:${room.id}`, ben.token);
    await benRoom.synced();
    // Removal goes through process A; ben is connected to process B.
    expect((await ana.api.delete(`/api/v1/chat/rooms/${room.id}/members/${ben.id}`)).status).toBe(204);
    await waitFor(() => benRoom.closeReasons.includes("not_a_member"), "process B to drop ben's room");
    expect(benRoom.refusals.map((r) => r.code)).toContain("not_a_member");
    socket.destroy();
  }, 60_000);
});

describe.runIf(backendsUnderTest().includes("pglite"))("the embedded database's data folder", () => {
  const processes: ServerProcess[] = [];
  afterAll(async () => {
    for (const p of processes) await p.stop();
  });

  it("refuses a second process on the same embedded data folder with a clear message", async () => {
    const pgliteDb = await createThrowawayDatabase("pglite");
    const first = await spawnServer(pgliteDb.env as Record<string, string>);
    processes.push(first);
    await expect(spawnServer(pgliteDb.env as Record<string, string>)).rejects.toThrow(/in use by another process/);
    await first.stop();
    await pgliteDb.drop();
  }, 60_000);
});
