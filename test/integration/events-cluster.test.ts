import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAwarenessState } from "../../shared/awareness.ts";
import { newId } from "../../shared/ids.ts";
import { sendMessage } from "../../shared/room-doc/index.ts";
import { ApiClient, signUpAll, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest, createThrowawayDatabase, TEST_REDIS_URL, type ThrowawayDatabase } from "../helpers/backends.ts";
import { type EventClient, openEvents } from "../helpers/event-client.ts";
import { type ServerProcess, spawnServer } from "../helpers/server-process.ts";
import { connectSocket, type OpenDocument, openDocument } from "../helpers/sync-client.ts";
import { waitFor } from "../helpers/wait-for.ts";

// Several processes share one database only on PostgreSQL; PGlite serves a single process.
describe.runIf(backendsUnderTest().includes("postgres"))("live events across three server processes", () => {
  let database: ThrowawayDatabase;
  const processes: ServerProcess[] = [];
  const closers: Array<() => void> = [];
  let ana: TestUser;
  let ben: TestUser;
  let cai: TestUser;
  let roomId: string;
  const on = (i: number) => processes[i] as ServerProcess;
  /** `user`'s REST client pointed at process `i`. */
  const via = (i: number, user: TestUser) => new ApiClient(on(i).url, user.token);
  const listenOn = async (i: number, user: TestUser, options?: { lastEventId?: string }): Promise<EventClient> => {
    const events = openEvents(on(i).url, user.token, options);
    closers.push(() => events.close());
    await events.opened;
    return events;
  };
  const openOn = async (i: number, user: TestUser): Promise<OpenDocument> => {
    const socket = connectSocket(on(i).wsUrl);
    closers.push(() => socket.destroy());
    const room = openDocument(socket, `room:${roomId}`, user.token);
    await room.synced();
    return room;
  };

  beforeAll(async () => {
    database = await createThrowawayDatabase("postgres");
    const env = { ...(database.env as Record<string, string>), REDIS_URL: TEST_REDIS_URL };
    for (let i = 0; i < 3; i++) processes.push(await spawnServer(env));
    [ana, ben, cai] = await signUpAll(on(0).url, "ana", "ben", "cai");
    roomId = (await ana.api.post("/api/v1/chat/rooms", { type: "group", name: "Crew", participant_ids: [ben.id, cai.id] })).body.id;
  }, 120_000);

  afterAll(async () => {
    for (const close of closers) close();
    for (const p of processes) await p.stop();
    await database?.drop();
  });

  it("delivers to a client on one process what writers on the others do: REST, Yjs, typing both ways", async () => {
    const caiEvents = await listenOn(0, cai);
    const rest = (await via(1, ana).post(`/api/v1/chat/messages/${roomId}`, { content: "via process 1" })).body;
    await caiEvents.next("message.created", (m) => m.id === rest.id);

    const benRoom = await openOn(2, ben);
    const yjsId = newId();
    sendMessage(benRoom.doc, { id: yjsId, sender_id: ben.id, content: "via process 2 over Yjs" });
    await benRoom.saved();
    await caiEvents.next("message.created", (m) => m.id === yjsId && m.sender_name === "ben");

    benRoom.provider.setAwarenessField("user", { id: ben.id, name: "ben" });
    benRoom.provider.setAwarenessField("typing", true);
    await caiEvents.next("typing", (e) => e.user_id === ben.id && e.typing);

    // A REST client's typing, posted to process 1, shows in ben's app on process 2 once.
    expect((await via(1, ana).post(`/api/v1/chat/rooms/${roomId}/typing`, { typing: true })).status).toBe(204);
    await waitFor(() => {
      const states = [...(benRoom.provider.awareness?.getStates().values() ?? [])].map(parseAwarenessState);
      return states.filter((s) => s?.user.id === ana.id && s.typing).length === 1;
    }, "ben's app to show ana typing");
    await caiEvents.next("typing", (e) => e.user_id === ana.id && e.typing);
    await via(1, ana).post(`/api/v1/chat/rooms/${roomId}/typing`, { typing: false });
    await caiEvents.next("typing", (e) => e.user_id === ana.id && !e.typing);
    expect(caiEvents.all("typing").filter((e) => e.data.user_id === ana.id && e.data.typing)).toHaveLength(1);
    benRoom.destroy();
  }, 60_000);

  it("resumes on another process after a gap: every missed event once, in order", async () => {
    const first = await listenOn(0, cai);
    const before = (await via(1, ana).post(`/api/v1/chat/messages/${roomId}`, { content: "before the gap" })).body;
    await first.next("message.created", (m) => m.id === before.id);
    const cursor = first.lastId();
    first.close();
    const missed: string[] = [];
    for (let i = 0; i < 5; i++)
      missed.push((await via(i % 2 === 0 ? 1 : 2, ana).post(`/api/v1/chat/messages/${roomId}`, { content: `gap ${i}` })).body.id);
    const resumed = await listenOn(2, cai, { lastEventId: cursor });
    await resumed.next("message.created", (m) => m.id === missed[4]);
    expect(resumed.all("message.created").map((e) => e.data.id)).toEqual(missed);
  }, 60_000);

  it("stops a removed member's events at once, whichever process removed them", async () => {
    const caiEvents = await listenOn(0, cai);
    expect((await via(1, ana).delete(`/api/v1/chat/rooms/${roomId}/members/${cai.id}`)).status).toBe(204);
    await caiEvents.next("room.removed", (r) => r.room_id === roomId && r.removed_by === ana.id);
    const after = (await via(2, ana).post(`/api/v1/chat/messages/${roomId}`, { content: "cai is gone" })).body;
    // A marker cai may see, written after: once it arrives, the room's message would have too.
    const other = (await via(1, ana).post("/api/v1/chat/rooms", { type: "direct", participant_ids: [cai.id] })).body.id;
    const marker = (await via(2, ana).post(`/api/v1/chat/messages/${other}`, { content: "marker" })).body;
    await caiEvents.next("message.created", (m) => m.id === marker.id);
    expect(caiEvents.all("message.created").map((e) => e.data.id)).not.toContain(after.id);
  }, 60_000);
});
