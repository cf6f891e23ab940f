import { afterEach, describe, expect, it } from "vitest";
import { LIVE_EVENT_TYPES } from "../../shared/api/events.ts";
import { newId } from "../../shared/ids.ts";
import { sendMessage } from "../../shared/room-doc/index.ts";
import { ApiClient, signUpAll, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { type EventClient, openEvents } from "../helpers/event-client.ts";
import { connectSocket, openDocument } from "../helpers/sync-client.ts";
import { useTestServer } from "../helpers/test-server.ts";

describe.each(backendsUnderTest())("the live event stream on %s", (backend) => {
  const t = useTestServer(backend);
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const undo of cleanup.splice(0)) undo();
  });
  const listen = async (user: TestUser, options?: { since?: string; lastEventId?: string }): Promise<EventClient> => {
    const events = openEvents(t.server.url, user.token, options);
    cleanup.push(() => events.close());
    await events.opened;
    return events;
  };
  const groupOf = async (admin: TestUser, members: TestUser[], name = "Runs") =>
    (await admin.api.post("/api/v1/chat/rooms", { type: "group", name, participant_ids: members.map((m) => m.id) })).body.id as string;

  it("refuses a request without a token (401 in the error envelope) and a cursor it did not make (400)", async () => {
    const [ana] = await signUpAll(t.server.url, "ana");
    const anonymous = await fetch(`${t.server.url}/api/v1/events`);
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error.code).toBe("unauthenticated");
    const bad = await ana.api.get("/api/v1/events?since=not-a-cursor");
    expect([bad.status, bad.body.error.code]).toEqual([400, "invalid_request"]);
  });

  it("sends message.created for REST, Yjs and server (system) messages, then updated, deleted, reactions and receipts", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const benEvents = await listen(ben);
    const roomId = await groupOf(ana, [ben]);
    // The server's own lines: the group's creation is a system message.
    const system = await benEvents.next("message.created", (m) => m.room_id === roomId && m.message_type === "system");
    expect(system.data.seq).toBeGreaterThan(0);

    const sent = (await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "5k at 7?" })).body;
    const created = await benEvents.next("message.created", (m) => m.id === sent.id);
    expect(created.data).toMatchObject({ room_id: roomId, seq: sent.seq, sender_id: ana.id, sender_name: "ana", content: "5k at 7?" });
    expect(created.id).not.toBe("");

    // A Yjs client's message reaches event clients the same way.
    const socket = connectSocket(t.server.wsUrl);
    cleanup.push(() => socket.destroy());
    const anaRoom = openDocument(socket, `room:${roomId}`, ana.token);
    await anaRoom.synced();
    const yjsId = newId();
    sendMessage(anaRoom.doc, { id: yjsId, sender_id: ana.id, content: "from the web app" });
    await anaRoom.saved();
    expect((await benEvents.next("message.created", (m) => m.id === yjsId)).data).toMatchObject({
      content: "from the web app",
      seq: sent.seq + 1,
    });

    await ana.api.put(`/api/v1/chat/messages/${sent.id}`, { content: "5k at 7:30?" });
    expect((await benEvents.next("message.updated", (m) => m.id === sent.id)).data).toMatchObject({
      content: "5k at 7:30?",
      edited_at: expect.any(String),
    });

    await ben.api.post(`/api/v1/chat/messages/${sent.id}/reactions`, { emoji: "👍" });
    expect((await benEvents.next("reaction.added")).data).toEqual({ room_id: roomId, message_id: sent.id, emoji: "👍", user_id: ben.id });
    await ben.api.delete(`/api/v1/chat/messages/${sent.id}/reactions/${encodeURIComponent("👍")}`);
    expect((await benEvents.next("reaction.removed")).data).toEqual({ room_id: roomId, message_id: sent.id, emoji: "👍", user_id: ben.id });

    await ben.api.post(`/api/v1/chat/messages/${yjsId}/read`);
    expect((await benEvents.next("receipt.updated", (r) => r.user_id === ben.id)).data).toMatchObject({
      room_id: roomId,
      message_id: yjsId,
      seq: sent.seq + 1,
    });

    await ana.api.delete(`/api/v1/chat/messages/${sent.id}`);
    expect((await benEvents.next("message.deleted", (m) => m.id === sent.id)).data).toMatchObject({ is_deleted: true, content: null });

    // Each durable event once, in the order it happened.
    const mine = benEvents.received.filter((e) => e.id !== "" && "room_id" in e.data && e.data.room_id === roomId);
    expect(new Set(mine.map((e) => e.id)).size).toBe(mine.length);
    expect(mine.map((e) => e.type).slice(-6)).toEqual([
      "message.created",
      "message.updated",
      "reaction.added",
      "reaction.removed",
      "receipt.updated",
      "message.deleted",
    ]);
  });

  it("sends friend requests received and answered, and a friend's presence", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const anaEvents = await listen(ana);
    const benEvents = await listen(ben);
    const request = (await ana.api.post("/api/v1/chat/friends/requests", { requestee_id: ben.id })).body;
    const received = await benEvents.next("friend_request.received");
    expect(received.data).toEqual(request);
    await ben.api.put(`/api/v1/chat/friends/requests/${request.id}`, { status: "accepted" });
    expect((await anaEvents.next("friend_request.updated")).data).toMatchObject({
      id: request.id,
      status: "accepted",
      requestee_name: "ben",
    });

    // Ben comes online on the WebSocket, then leaves: ana (a friend now) hears both.
    const socket = connectSocket(t.server.wsUrl);
    const own = openDocument(socket, `user:${ben.id}`, ben.token);
    await own.synced();
    await anaEvents.next("presence", (p) => p.user_id === ben.id && p.is_online);
    socket.destroy();
    // Ben's own event stream keeps him online: close it too.
    benEvents.close();
    await anaEvents.next("presence", (p) => p.user_id === ben.id && !p.is_online && p.last_seen !== null);
  });

  it("sends room.added, room.updated and room.removed as the room changes for me", async () => {
    const [ana, ben, cai] = await signUpAll(t.server.url, "ana", "ben", "cai");
    const benEvents = await listen(ben);
    const roomId = await groupOf(ana, [ben], "Crew");
    expect((await benEvents.next("room.added", (r) => r.id === roomId)).data).toMatchObject({ name: "Crew", my_role: "member" });
    await ana.api.put(`/api/v1/chat/rooms/${roomId}`, { name: "Crew 2" });
    await benEvents.next("room.updated", (r) => r.id === roomId && r.name === "Crew 2");
    await ben.api.put(`/api/v1/chat/rooms/${roomId}/settings`, { is_muted: true });
    await benEvents.next("room.updated", (r) => r.id === roomId && r.is_muted);
    await ana.api.put(`/api/v1/chat/rooms/${roomId}/members/${ben.id}`, { role: "admin" });
    await benEvents.next("room.updated", (r) => r.id === roomId && r.my_role === "admin");
    await ana.api.delete(`/api/v1/chat/rooms/${roomId}/members/${ben.id}`);
    expect((await benEvents.next("room.removed")).data).toEqual({ room_id: roomId, status: "removed", removed_by: ana.id });

    // A direct room opened by someone else is added to my list.
    const direct = (await cai.api.post("/api/v1/chat/rooms", { type: "direct", participant_ids: [ben.id] })).body.id;
    expect((await benEvents.next("room.added", (r) => r.id === direct)).data.type).toBe("direct");
  });

  it("resumes after a gap with Last-Event-ID or ?since=: every later event once, in order", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const roomId = await groupOf(ana, [ben]);
    const first = await listen(ben);
    const before = (await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "before" })).body;
    await first.next("message.created", (m) => m.id === before.id);
    const cursor = first.lastId();
    first.close();

    const missed: string[] = [];
    for (let i = 0; i < 5; i++) missed.push((await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: `missed ${i}` })).body.id);
    for (const options of [{ lastEventId: cursor }, { since: cursor }]) {
      const resumed = await listen(ben, options);
      await resumed.next("message.created", (m) => m.id === missed[4]);
      expect(resumed.all("message.created").map((e) => e.data.id)).toEqual(missed);
      resumed.close();
    }
  });

  it("sends one reset event for a cursor older than the journal keeps, then carries on", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const roomId = await groupOf(ana, [ben]);
    const first = await listen(ben);
    const old = (await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "old" })).body;
    await first.next("message.created", (m) => m.id === old.id);
    const cursor = first.lastId();
    first.close();
    // Once another stream has it, the row is settled (its transaction and all before it ended): prunable.
    const watcher = await listen(ana);
    const gone = (await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "pruned away" })).body;
    await watcher.next("message.created", (m) => m.id === gone.id);
    expect(await t.server.context.events.prune({ olderThanSeconds: 0 })).toBeGreaterThan(0);

    const resumed = await listen(ben, { lastEventId: cursor });
    const reset = await resumed.next("reset");
    expect(reset.data.reason).toBe("cursor_expired");
    const after = (await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "after" })).body;
    await resumed.next("message.created", (m) => m.id === after.id);
    expect(resumed.all("reset")).toHaveLength(1);
    expect(resumed.all("message.created").map((e) => e.data.content)).toEqual(["after"]);
  });

  it("keeps no copy of an erased message's text in the journal, and tells streams it is deleted", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const benEvents = await listen(ben);
    const roomId = await groupOf(ana, [ben]);
    const secret = "my card number is 4111 1111 1111 1111";
    const sent = (await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: secret })).body;
    await ana.api.put(`/api/v1/chat/messages/${sent.id}`, { content: `${secret}!` });
    await benEvents.next("message.updated", (m) => m.id === sent.id);
    await t.server.context.db.query("UPDATE users SET is_server_admin = true WHERE id = $1", [ana.id]);
    expect((await ana.api.post(`/api/v1/admin/rooms/${roomId}/messages/${sent.id}/erase`)).status).toBe(200);
    expect((await benEvents.next("message.deleted", (m) => m.id === sent.id)).data.content).toBeNull();
    const { rows } = await t.server.context.db.query("SELECT 1 FROM chat_events WHERE payload::text LIKE '%4111 1111%'");
    expect(rows).toEqual([]);
    // A stream resuming from before the message never sees the text either.
    const replay = await listen(ben, { since: benEvents.all("room.added").find((r) => r.data.id === roomId)?.id ?? "" });
    await replay.next("message.deleted", (m) => m.id === sent.id);
    expect(replay.received.some((e) => JSON.stringify(e.data).includes("4111"))).toBe(false);
  });

  it("documents the stream, every event's payload and the typing route in the OpenAPI description", async () => {
    const doc = (await new ApiClient(t.server.url).get("/api/v1/openapi.json")).body;
    const stream = doc.paths["/api/v1/events"].get;
    const union = stream.responses["2XX"].content["text/event-stream"].schema;
    const variants = (union.oneOf ?? union.anyOf) as Array<{ properties: { type: { const: string }; data: object } }>;
    expect(variants.map((v) => v.properties.type.const)).toEqual(LIVE_EVENT_TYPES);
    expect(variants.find((v) => v.properties.type.const === "message.created")?.properties.data).toMatchObject({
      properties: { id: expect.any(Object), seq: expect.any(Object), sender_name: expect.any(Object) },
    });
    expect(stream.parameters.map((p: { name: string }) => p.name)).toEqual(["since"]);
    const typing = doc.paths["/api/v1/chat/rooms/{room_id}/typing"].post;
    expect(typing.requestBody.content["application/json"].schema.properties.typing).toEqual({ type: "boolean" });
  });

  it("keeps an idle stream open with heartbeat comments", async () => {
    const [ana] = await signUpAll(t.server.url, "ana");
    const response = await fetch(`${t.server.url}/api/v1/events`, { headers: { authorization: `Bearer ${ana.token}` } });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    // The heartbeat runs every EVENTS_HEARTBEAT_SECONDS (15 s by default); here it is forced.
    const beat = setInterval(() => t.server.context.events.heartbeat(), 50);
    try {
      while (!text.includes(": heartbeat")) text += decoder.decode((await reader.read()).value);
    } finally {
      clearInterval(beat);
      await reader.cancel();
    }
    expect(text).toContain(": heartbeat\n\n");
  });
});
