import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAwarenessState } from "../../shared/awareness.ts";
import { newId } from "../../shared/ids.ts";
import { allMessages, sendMessage } from "../../shared/room-doc/index.ts";
import { ApiClient, signUpAll, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest, createThrowawayDatabase, TEST_REDIS_URL, type ThrowawayDatabase } from "../helpers/backends.ts";
import { type ServerProcess, spawnServer } from "../helpers/server-process.ts";
import { connectSocket, type OpenDocument, openDocument } from "../helpers/sync-client.ts";
import { waitFor } from "../helpers/wait-for.ts";

/** The room as a copy shows it: every sequenced message, as `seq:content`, in order. */
const sequenced = (room: OpenDocument) =>
  allMessages(room.doc)
    .filter((m) => m.seq !== null)
    .sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0))
    .map((m) => `${m.seq}:${m.content}`);

// Several processes share one database only on PostgreSQL; PGlite serves a single process.
describe.runIf(backendsUnderTest().includes("postgres"))("three server processes over one PostgreSQL and Redis", () => {
  let database: ThrowawayDatabase;
  const processes: ServerProcess[] = [];
  let ana: TestUser;
  let ben: TestUser;
  let cai: TestUser;
  let roomId: string;
  const sockets: Array<ReturnType<typeof connectSocket>> = [];

  beforeAll(async () => {
    database = await createThrowawayDatabase("postgres");
    const env = { ...(database.env as Record<string, string>), REDIS_URL: TEST_REDIS_URL };
    for (let i = 0; i < 3; i++) processes.push(await spawnServer(env));
    [ana, ben, cai] = await signUpAll((processes[0] as ServerProcess).url, "ana", "ben", "cai");
    const room = await ana.api.post("/api/v1/chat/rooms", { type: "group", name: "Crew", participant_ids: [ben.id, cai.id] });
    roomId = room.body.id;
  }, 120_000);

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    for (const p of processes) await p.stop();
    await database?.drop();
  });

  /** `user`'s copy of the room through process `i`. */
  const openOn = async (i: number, user: TestUser) => {
    const socket = connectSocket((processes[i] as ServerProcess).wsUrl);
    sockets.push(socket);
    const room = openDocument(socket, `room:${roomId}`, user.token);
    await room.synced();
    return room;
  };

  it("shows every process's writes to users on every other process, in one order without gaps, and the same over REST", async () => {
    const rooms = [await openOn(0, ana), await openOn(1, ben), await openOn(2, cai)];
    const writers = [ana, ben, cai];
    const perWriter = 30;
    // All three write at once, each through its own process.
    await Promise.all(
      rooms.map(async (room, w) => {
        for (let i = 0; i < perWriter; i++) {
          sendMessage(room.doc, { id: newId(), sender_id: (writers[w] as TestUser).id, content: `${w}-${i}` });
          if (i % 5 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
      }),
    );
    const written = (room: OpenDocument) => sequenced(room).filter((line) => /:\d-\d+$/.test(line)).length;
    for (const room of rooms) await waitFor(() => written(room) === 3 * perWriter, "every copy to hold every message, sequenced", 60_000);
    const order = sequenced(rooms[0] as OpenDocument);
    // One order: numbers 1..n, each once, the same on every copy.
    expect(order.map((line) => Number(line.split(":")[0]))).toEqual(Array.from({ length: order.length }, (_, i) => i + 1));
    for (const room of rooms) await waitFor(() => sequenced(room).join() === order.join(), "every copy to show the one order");
    // Each process answers REST from the same order.
    for (const [i, user] of [ana, ben, cai].entries()) {
      const api = new ApiClient((processes[i] as ServerProcess).url, user.token);
      const page = await api.get(`/api/v1/chat/messages/${roomId}?limit=100`);
      expect(page.status).toBe(200);
      const listed = (page.body.items as Array<{ seq: number; content: string }>).map((m) => `${m.seq}:${m.content}`);
      expect(listed).toEqual(order);
      // Paging back a few at a time walks every message once.
      const walked: string[] = [];
      let cursor: string | null = null;
      do {
        const older: { body: { items: Array<{ seq: number; content: string }>; next_cursor: string | null } } = await api.get(
          `/api/v1/chat/messages/${roomId}?limit=7${cursor ? `&before=${cursor}` : ""}`,
        );
        walked.unshift(...older.body.items.map((m) => `${m.seq}:${m.content}`));
        cursor = older.body.next_cursor;
      } while (cursor);
      expect(walked).toEqual(order);
    }
  }, 120_000);

  it("tells operators, per process, whether it reaches Redis and which rooms it sequences or follows", async () => {
    await Promise.all([openOn(0, ana), openOn(1, ben), openOn(2, cai)]);
    const health = await Promise.all(processes.map(async (p) => (await fetch(`${p.url}/healthz`)).json()));
    for (const h of health) expect(h).toMatchObject({ ok: true, cluster: { redis: "reachable", mode_lock_held: true } });
    // The room is loaded on all three: one sequences it, the other two follow.
    expect(health.map((h) => h.cluster.rooms.owned).reduce((a, b) => a + b, 0)).toBe(1);
    expect(health.map((h) => h.cluster.rooms.replicas).reduce((a, b) => a + b, 0)).toBe(2);
    const metrics = await Promise.all(processes.map(async (p) => (await fetch(`${p.url}/metrics`)).text()));
    const gauge = (text: string, line: string) => Number(new RegExp(`^${line} (\\d+)$`, "m").exec(text)?.[1]);
    expect(metrics.map((m) => gauge(m, 'chat_cluster_rooms\\{role="owner"\\}')).reduce((a, b) => a + b, 0)).toBe(1);
    for (const m of metrics) expect(gauge(m, "chat_cluster_redis_connected")).toBe(1);
  }, 60_000);

  it("shows typing and in-room presence across processes, and drops a user's state when they leave", async () => {
    const [anaRoom, benRoom] = [await openOn(0, ana), await openOn(2, ben)];
    const seenBy = (room: OpenDocument, clientId: number) => parseAwarenessState(room.provider.awareness?.getStates().get(clientId));
    anaRoom.provider.setAwarenessField("user", { id: ana.id, name: ana.username });
    anaRoom.provider.setAwarenessField("typing", true);
    await waitFor(() => seenBy(benRoom, anaRoom.doc.clientID)?.typing === true, "ben, on process 3, to see ana typing on process 1");
    // The identity is the one process 1 stamped from ana's session.
    expect(seenBy(benRoom, anaRoom.doc.clientID)?.user.id).toBe(ana.id);
    anaRoom.provider.setAwarenessField("typing", false);
    await waitFor(() => seenBy(benRoom, anaRoom.doc.clientID)?.typing === false, "ben to see ana stop typing");
    anaRoom.destroy();
    await waitFor(() => !benRoom.provider.awareness?.getStates().has(anaRoom.doc.clientID), "ben to see ana leave the room");
  }, 60_000);

  it("delivers a REST write on one process to Yjs users on the others, numbered by the room's one sequencer", async () => {
    const caiRoom = await openOn(2, cai);
    const before = sequenced(caiRoom).length;
    const api = new ApiClient((processes[1] as ServerProcess).url, ben.token);
    const sent = await api.post(`/api/v1/chat/messages/${roomId}`, { content: "over REST on process 2" });
    expect(sent.status).toBe(201);
    expect(sent.body.seq).toBe(before + 1);
    await waitFor(() => sequenced(caiRoom).at(-1) === `${before + 1}:over REST on process 2`, "cai, on process 3, to see it numbered");
    // An edit and a reaction through yet another process reach her too.
    const other = new ApiClient((processes[0] as ServerProcess).url, ben.token);
    expect((await other.put(`/api/v1/chat/messages/${sent.body.id}`, { content: "edited on process 1" })).status).toBe(200);
    await waitFor(() => allMessages(caiRoom.doc).some((m) => m.id === sent.body.id && m.content === "edited on process 1"), "the edit");
    // The document model's refusals keep their codes when they come from another process.
    const foreign = await new ApiClient((processes[1] as ServerProcess).url, cai.token).put(`/api/v1/chat/messages/${sent.body.id}`, {
      content: "not mine",
    });
    expect(foreign.status).toBe(403);
  }, 60_000);

  it("refuses to start a process without REDIS_URL beside them, with a clear message", async () => {
    await expect(spawnServer(database.env as Record<string, string>)).rejects.toThrow(/set the same REDIS_URL on every process/);
  }, 60_000);
});
