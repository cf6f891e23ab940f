import type { HocuspocusProviderWebsocket } from "@hocuspocus/provider";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { userDocumentName } from "../../shared/document-names.ts";
import { CLOSE_CODES } from "../../shared/errors.ts";
import { newId } from "../../shared/ids.ts";
import { roomMaps, sendMessage } from "../../shared/room-doc/index.ts";
import { ApiClient, signUp, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest, createThrowawayDatabase, TEST_REDIS_URL, type ThrowawayDatabase } from "../helpers/backends.ts";
import { restMessages } from "../helpers/room-scene.ts";
import { type ServerProcess, spawnServer } from "../helpers/server-process.ts";
import { connectSocket, type OpenDocument, openDocument } from "../helpers/sync-client.ts";
import { useTestServer } from "../helpers/test-server.ts";
import { waitFor } from "../helpers/wait-for.ts";

/** A second session of `user`: a login on another device. */
async function logInAgain(baseUrl: string, user: TestUser): Promise<TestUser> {
  const api = new ApiClient(baseUrl);
  const res = await api.post("/api/v1/auth/login", { username: user.username, password: "correct horse battery" });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  api.token = res.body.token;
  return { ...user, token: res.body.token, api };
}

/**
 * A socket that records the close codes the server sends it. Closed as unauthenticated, it stays
 * closed, as the web app does by signing out (a provider would reconnect with the dead token).
 */
function recordingSocket(wsUrl: string): { socket: HocuspocusProviderWebsocket; closeCodes: number[] } {
  const socket = connectSocket(wsUrl);
  const closeCodes: number[] = [];
  socket.on("close", ({ event }: { event: { code: number } }) => {
    closeCodes.push(event.code);
    if (event.code === CLOSE_CODES.unauthenticated) socket.disconnect();
  });
  return { socket, closeCodes };
}

/** Ana has logged in on two devices, each with the room with ben and her own document open. */
async function twoDevices(restUrl: string, firstWsUrl: string, secondWsUrl: string, sockets: HocuspocusProviderWebsocket[]) {
  const ana = await signUp(restUrl, "ana");
  const ben = await signUp(restUrl, "ben");
  const anaElsewhere = await logInAgain(restUrl, ana);
  const roomId = (await ana.api.post("/api/v1/chat/rooms", { type: "direct", participant_ids: [ben.id] })).body.id as string;
  const open = (wsUrl: string, user: TestUser) => {
    const { socket, closeCodes } = recordingSocket(wsUrl);
    sockets.push(socket);
    const room = openDocument(socket, `room:${roomId}`, user.token);
    const own = openDocument(socket, userDocumentName(user.id), user.token);
    return { socket, closeCodes, room, own };
  };
  const first = open(firstWsUrl, ana);
  const second = open(secondWsUrl, anaElsewhere);
  await Promise.all([first.room.synced(), first.own.synced(), second.room.synced(), second.own.synced()]);
  return { ana, ben, anaElsewhere, roomId, first, second };
}

/** Write a message into `room` and wait until the server has stored it. */
async function sendAndSave(room: OpenDocument, senderId: string, content: string): Promise<string> {
  const id = newId();
  sendMessage(room.doc, { id, sender_id: senderId, content });
  await room.saved();
  return id;
}

describe.each(backendsUnderTest())("logging out ends the session's sockets on %s", (backend) => {
  const t = useTestServer(backend);
  const sockets: HocuspocusProviderWebsocket[] = [];
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
  });

  it("tells and closes the session's open socket, stores nothing it writes after, and leaves the other session open", async () => {
    const { ana, ben, anaElsewhere, roomId, first, second } = await twoDevices(t.server.url, t.server.wsUrl, t.server.wsUrl, sockets);
    const before = await sendAndSave(first.room, ana.id, "Before I go");

    expect((await ana.api.post("/api/v1/auth/logout")).status).toBe(204);
    for (const document of [first.room, first.own]) {
      await waitFor(() => document.closeReasons.includes("session_ended"), "the session's documents to be closed");
      expect(document.refusals[0]).toMatchObject({ type: "refused", code: "session_ended" });
    }
    await waitFor(() => first.closeCodes.includes(CLOSE_CODES.unauthenticated), "the socket to be closed");

    // The device that logged out keeps writing into its copy: none of it reaches anyone.
    const after = newId();
    sendMessage(first.room.doc, { id: after, sender_id: ana.id, content: "Still here?" });
    // The other device's session is untouched: it writes, and its write is the marker.
    const marker = await sendAndSave(second.room, ana.id, "From my phone");
    expect(second.room.refusals).toEqual([]);
    expect(second.room.closeReasons).toEqual([]);
    expect(second.own.closeReasons).toEqual([]);
    expect(second.closeCodes).toEqual([]);
    const stored = (await restMessages(ben, roomId)).map((m) => m.id);
    expect(stored).toEqual(expect.arrayContaining([before, marker]));
    expect(stored).not.toContain(after);
    expect(roomMaps(second.room.doc).messages.has(after)).toBe(false);
    expect((await anaElsewhere.api.get("/api/v1/users/me")).status).toBe(200);
  });

  it("closes only the session's documents on a socket that also carries another session's, and applies nothing it sends after", async () => {
    const ana = await signUp(t.server.url, "ana");
    const ben = await signUp(t.server.url, "ben");
    const anaElsewhere = await logInAgain(t.server.url, ana);
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { type: "direct", participant_ids: [ben.id] })).body.id as string;
    const { socket, closeCodes } = recordingSocket(t.server.wsUrl);
    sockets.push(socket);
    const room = openDocument(socket, `room:${roomId}`, ana.token);
    const own = openDocument(socket, userDocumentName(ana.id), anaElsewhere.token);
    const bensSocket = connectSocket(t.server.wsUrl);
    sockets.push(bensSocket);
    const bens = openDocument(bensSocket, `room:${roomId}`, ben.token);
    await Promise.all([room.synced(), own.synced(), bens.synced()]);

    expect((await ana.api.post("/api/v1/auth/logout")).status).toBe(204);
    await waitFor(() => room.closeReasons.includes("session_ended"), "the session's room to be closed");
    // The provider still sends what is written into its copy, over the socket that stays open.
    const after = newId();
    sendMessage(room.doc, { id: after, sender_id: ana.id, content: "Sent after logout" });
    const marker = (await anaElsewhere.api.post(`/api/v1/chat/messages/${roomId}`, { content: "Marker" })).body.id as string;
    await waitFor(() => roomMaps(bens.doc).messages.has(marker), "the marker on ben's copy");

    expect(roomMaps(bens.doc).messages.has(after)).toBe(false);
    expect((await restMessages(ben, roomId)).map((m) => m.id)).not.toContain(after);
    expect(room.provider.hasUnsyncedChanges).toBe(true);
    expect(own.closeReasons).toEqual([]);
    expect(closeCodes).toEqual([]);
  });

  it("answers a logout with a token that is no live session 401, closing nothing", async () => {
    const { ana, first } = await twoDevices(t.server.url, t.server.wsUrl, t.server.wsUrl, sockets);
    const stranger = new ApiClient(t.server.url, "not a session");
    expect((await stranger.post("/api/v1/auth/logout")).status).toBe(401);
    const marker = await sendAndSave(first.room, ana.id, "Still logged in");
    expect(marker).toBeTruthy();
    expect(first.room.closeReasons).toEqual([]);
    expect(first.closeCodes).toEqual([]);
  });
});

// Several processes share one database only on PostgreSQL; PGlite serves a single process.
describe.runIf(backendsUnderTest().includes("postgres"))("logging out with two server processes over one PostgreSQL", () => {
  let database: ThrowawayDatabase;
  const processes: ServerProcess[] = [];
  const sockets: HocuspocusProviderWebsocket[] = [];
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    for (const p of processes) await p.stop();
    await database?.drop();
  });

  it("closes the session's socket on the other process, and only that session's", async () => {
    database = await createThrowawayDatabase("postgres");
    const env = { ...(database.env as Record<string, string>), REDIS_URL: TEST_REDIS_URL };
    const a = await spawnServer(env);
    processes.push(a);
    const b = await spawnServer(env);
    processes.push(b);
    // Both devices are connected to process B; the logout goes through process A.
    const { ana, anaElsewhere, first, second } = await twoDevices(a.url, b.wsUrl, b.wsUrl, sockets);
    expect((await ana.api.post("/api/v1/auth/logout")).status).toBe(204);
    await waitFor(() => first.room.closeReasons.includes("session_ended"), "process B to close the session's room");
    await waitFor(() => first.closeCodes.includes(CLOSE_CODES.unauthenticated), "process B to close the session's socket");
    await sendAndSave(second.room, anaElsewhere.id, "The phone still syncs");
    expect(second.room.closeReasons).toEqual([]);
    expect(second.closeCodes).toEqual([]);
  }, 60_000);
});
