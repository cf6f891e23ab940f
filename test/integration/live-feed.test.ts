import { describe, expect, it } from "vitest";
import { newId } from "../../shared/ids.ts";
import { listMessages, sendMessage } from "../../shared/room-doc/index.ts";
import { readUserView } from "../../shared/user-doc/index.ts";
import { signUpAll, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { connectSocket, openDocument } from "../helpers/sync-client.ts";
import { useTestServer } from "../helpers/test-server.ts";
import { waitFor } from "../helpers/wait-for.ts";

describe.each(backendsUnderTest())("the live user document and presence on %s", (backend) => {
  const t = useTestServer(backend);

  const befriend = async (a: TestUser, b: TestUser) => {
    const sent = await a.api.post("/api/v1/chat/friends/requests", { requestee_id: b.id });
    expect(sent.status).toBe(201);
    expect((await b.api.put(`/api/v1/chat/friends/requests/${sent.body.id}`, { status: "accepted" })).status).toBe(200);
  };
  const feedOf = (user: TestUser) => {
    const socket = connectSocket(t.server.wsUrl);
    const feed = openDocument(socket, `user:${user.id}`, user.token);
    return { socket, feed, view: () => readUserView(feed.doc), close: () => socket.destroy() };
  };
  const isOnline = async (viewer: TestUser, user: TestUser) =>
    (await viewer.api.get("/api/v1/chat/friends")).body.items.find((f: { id: string }) => f.id === user.id)?.is_online;

  it("shows a request arriving, its acceptance and the new friend without polling", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const ben_ = feedOf(ben);
    await ben_.feed.synced();
    const sent = await ana.api.post("/api/v1/chat/friends/requests", { requestee_id: ben.id, message: "Leg day?" });
    await waitFor(() => ben_.view().requests[sent.body.id] !== undefined, "the request to reach ben's document");
    expect(ben_.view().requests[sent.body.id]).toMatchObject({ requester_id: ana.id, message: "Leg day?", status: "pending" });

    await ben.api.put(`/api/v1/chat/friends/requests/${sent.body.id}`, { status: "accepted" });
    await waitFor(() => ben_.view().friends[ana.id] !== undefined, "ana to appear among ben's friends");
    expect(ben_.view().requests[sent.body.id]).toBeUndefined();
    ben_.close();
  });

  it("tells friends, and only friends, when someone comes online and goes away", async () => {
    const [ana, ben, cai] = await signUpAll(t.server.url, "ana", "ben", "cai");
    await befriend(ana, ben);
    const ben_ = feedOf(ben);
    const cai_ = feedOf(cai);
    await Promise.all([ben_.feed.synced(), cai_.feed.synced()]);
    expect(ben_.view().friends[ana.id]?.is_online).toBe(false);

    // Two tabs count once: ana stays online until the last one closes.
    const tab1 = feedOf(ana);
    const tab2 = feedOf(ana);
    await Promise.all([tab1.feed.synced(), tab2.feed.synced()]);
    await waitFor(() => ben_.view().friends[ana.id]?.is_online === true, "ben to see ana online");
    expect(await isOnline(ben, ana)).toBe(true);
    tab1.close();
    await waitFor(
      async () => (await t.server.context.db.query("SELECT 1 FROM presence_connections WHERE user_id = $1", [ana.id])).rows.length === 1,
      "one tab left",
    );
    expect(ben_.view().friends[ana.id]?.is_online).toBe(true);
    tab2.close();
    await waitFor(() => ben_.view().friends[ana.id]?.is_online === false, "ben to see ana offline");
    expect(ben_.view().friends[ana.id]?.last_seen).toEqual(expect.any(String));

    // Cai is not ana's friend: nothing about her reaches cai, and her profile hides her presence.
    expect(cai_.view().friends[ana.id]).toBeUndefined();
    expect((await cai.api.get(`/api/v1/users/${ana.id}/profile`)).body).toMatchObject({ is_online: null, last_seen: null });
    ben_.close();
    cai_.close();
  });

  it("moves the room list live when a message arrives", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const room = (await ana.api.post("/api/v1/chat/rooms", { type: "direct", participant_ids: [ben.id] })).body;
    const ben_ = feedOf(ben);
    await ben_.feed.synced();
    await waitFor(() => ben_.view().rooms[room.id] !== undefined, "the new room in ben's list");
    await ana.api.post(`/api/v1/chat/messages/${room.id}`, { content: "Ready?" });
    await waitFor(() => ben_.view().rooms[room.id]?.last_message?.content === "Ready?", "the message in ben's room list");
    expect(ben_.view().rooms[room.id]?.unread_count).toBe(1);
    ben_.close();
  });

  it("turns a direct room read-only for both over the WebSocket when one blocks the other", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const room = (await ana.api.post("/api/v1/chat/rooms", { type: "direct", participant_ids: [ben.id] })).body;
    await ana.api.post(`/api/v1/chat/messages/${room.id}`, { content: "Before the block" });
    const socket = connectSocket(t.server.wsUrl);
    const benRoom = openDocument(socket, `room:${room.id}`, ben.token);
    await benRoom.synced();
    expect((await ana.api.post(`/api/v1/chat/friends/block/${ben.id}`)).status).toBe(204);

    // Ben still reads the history, but what he writes is refused and stored nowhere.
    sendMessage(benRoom.doc, { id: newId(), sender_id: ben.id, content: "Why?" });
    await waitFor(() => benRoom.refusals.some((r) => r.code === "blocked"), "ben's write to be refused");
    const history = (await ana.api.get(`/api/v1/chat/messages/${room.id}`)).body.items.map((m: { content: string }) => m.content);
    expect(history).toEqual(["Before the block"]);
    expect(listMessages(benRoom.doc).some((m) => m.content === "Before the block")).toBe(true);
    socket.destroy();
  });
});
