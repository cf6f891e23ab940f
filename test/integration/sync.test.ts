import { afterEach, describe, expect, it } from "vitest";
import { newId } from "../../shared/ids.ts";
import { listMessages, sendMessage } from "../../shared/room-doc/index.ts";
import { signUpAll, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { connectSocket, goOffline, goOnline, openDocument } from "../helpers/sync-client.ts";
import { useTestServer } from "../helpers/test-server.ts";
import { waitFor } from "../helpers/wait-for.ts";

describe.each(backendsUnderTest())("sync over the WebSocket on %s", (backend) => {
  const t = useTestServer(backend);
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const fn of cleanup.splice(0)) fn();
  });
  const socketFor = () => {
    const socket = connectSocket(t.server.wsUrl);
    cleanup.push(() => socket.destroy());
    return socket;
  };
  const directRoom = async (a: TestUser, b: TestUser) =>
    (await a.api.post("/api/v1/chat/rooms", { participant_ids: [b.id] })).body.id as string;

  it("refuses a room to a non-member with a named code while the socket's other rooms keep working", async () => {
    const [ana, ben, eve] = await signUpAll(t.server.url, "ana", "ben", "eve");
    const anaBen = await directRoom(ana, ben);
    const eveBen = await directRoom(eve, ben);
    const socket = socketFor();
    const own = openDocument(socket, `room:${eveBen}`, eve.token);
    const stolen = openDocument(socket, `room:${anaBen}`, eve.token);
    await own.synced();
    await waitFor(() => stolen.authFailures.length > 0, "the refusal");
    expect(stolen.refusals).toEqual([{ type: "refused", code: "not_a_member", message: expect.any(String) }]);
    expect(stolen.authFailures).toEqual(["not_a_member"]);
    expect(stolen.doc.getMap("messages").size).toBe(0);
    // The same socket still carries eve's own room.
    sendMessage(own.doc, { id: newId(), sender_id: eve.id, content: "still here" });
    await own.saved();
    const seen = await ben.api.get(`/api/v1/chat/messages/${eveBen}`);
    expect(seen.body.items.map((m: { content: string }) => m.content)).toContain("still here");
  });

  it("refuses a bad token, another user's private document and a malformed name", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const mine = openDocument(socketFor(), `user:${ana.id}`, ana.token);
    await mine.synced();
    const theirs = openDocument(socketFor(), `user:${ben.id}`, ana.token);
    const junk = openDocument(socketFor(), "room:../../etc", ana.token);
    const forged = openDocument(socketFor(), `room:${await directRoom(ana, ben)}`, "forged-token");
    await waitFor(() => theirs.authFailures.length && junk.authFailures.length && forged.authFailures.length, "three refusals");
    expect(theirs.refusals[0]?.code).toBe("document_not_granted");
    expect(junk.refusals[0]?.code).toBe("invalid_document_name");
    expect(forged.refusals[0]?.code).toBe("unauthenticated");
  });

  it("delivers a REST send to WebSocket clients within a second, and a WebSocket send to REST", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const roomId = await directRoom(ana, ben);
    const benRoom = openDocument(socketFor(), `room:${roomId}`, ben.token);
    await benRoom.synced();
    const sentAt = Date.now();
    const sent = await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "over REST" });
    expect(sent.status).toBe(201);
    expect(sent.body.seq).toBeGreaterThan(0);
    await waitFor(
      () => listMessages(benRoom.doc, {}).some((m) => m.content === "over REST" && m.seq !== null),
      "the REST message on ben's socket",
    );
    expect(Date.now() - sentAt).toBeLessThan(1000);

    const id = newId();
    sendMessage(benRoom.doc, { id, sender_id: ben.id, content: "over the socket" });
    await benRoom.saved();
    const read = await waitFor(async () => {
      const items = (await ana.api.get(`/api/v1/chat/messages/${roomId}`)).body.items;
      return items.find((m: { id: string; seq: number | null }) => m.id === id && m.seq !== null);
    }, "the socket message over REST");
    expect(read).toMatchObject({
      content: "over the socket",
      sender_id: ben.id,
      sender_name: "ben",
    });
    // The server sequenced it and the client sees the same order as REST.
    await waitFor(() => listMessages(benRoom.doc, {}).at(-1)?.seq === read.seq, "the sequence number on ben's copy");
  });

  it("disconnects a removed member from the room at once", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const room = (
      await ana.api.post("/api/v1/chat/rooms", {
        type: "group",
        name: "Crew",
        participant_ids: [ben.id],
      })
    ).body;
    const benRoom = openDocument(socketFor(), `room:${room.id}`, ben.token);
    await benRoom.synced();
    expect((await ana.api.delete(`/api/v1/chat/rooms/${room.id}/members/${ben.id}`)).status).toBe(204);
    await waitFor(() => benRoom.closeReasons.includes("not_a_member"), "ben's room to close");
    expect(benRoom.refusals.map((r) => r.code)).toContain("not_a_member");
    await ana.api.post(`/api/v1/chat/messages/${room.id}`, { content: "after ben left" });
    // Ben's copy stops receiving the room.
    const anaRoom = openDocument(socketFor(), `room:${room.id}`, ana.token);
    await waitFor(() => listMessages(anaRoom.doc, {}).some((m) => m.content === "after ben left"), "ana's copy");
    expect(listMessages(benRoom.doc, {}).some((m) => m.content === "after ben left")).toBe(false);
  });

  it("converges offline sends from two clients: each message once, the same order everywhere", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const roomId = await directRoom(ana, ben);
    const anaRoom = openDocument(socketFor(), `room:${roomId}`, ana.token);
    const benSocket = socketFor();
    const benRoom = openDocument(benSocket, `room:${roomId}`, ben.token);
    await Promise.all([anaRoom.synced(), benRoom.synced()]);
    await goOffline(benSocket);
    for (let i = 0; i < 5; i++) sendMessage(benRoom.doc, { id: newId(), sender_id: ben.id, content: `offline ${i}` });
    for (let i = 0; i < 5; i++) sendMessage(anaRoom.doc, { id: newId(), sender_id: ana.id, content: `online ${i}` });
    await anaRoom.saved();
    await goOnline(benSocket);
    await benRoom.saved();
    const everywhere = (doc: typeof anaRoom.doc) => listMessages(doc, { limit: 100 }).map((m) => `${m.seq}:${m.content}`);
    await waitFor(() => {
      const a = everywhere(anaRoom.doc);
      return a.length === 10 && a.every((line) => !line.startsWith("null")) && a.join() === everywhere(benRoom.doc).join();
    }, "both copies to agree");
    const rest = (await ana.api.get(`/api/v1/chat/messages/${roomId}`)).body.items.map(
      (m: { seq: number; content: string }) => `${m.seq}:${m.content}`,
    );
    expect(rest).toEqual(everywhere(anaRoom.doc));
    expect(new Set(rest).size).toBe(10);
  });
});
