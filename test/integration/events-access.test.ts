import { afterEach, describe, expect, it } from "vitest";
import { signUpAll, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { type EventClient, openEvents, type ReceivedEvent } from "../helpers/event-client.ts";
import { connectSocket, type OpenDocument, openDocument } from "../helpers/sync-client.ts";
import { useTestServer } from "../helpers/test-server.ts";
import { waitFor } from "../helpers/wait-for.ts";

const inRoom = (roomId: string) => (e: ReceivedEvent) => "room_id" in e.data && e.data.room_id === roomId;

describe.each(backendsUnderTest())("who receives which live events on %s", (backend) => {
  const t = useTestServer(backend);
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const undo of cleanup.splice(0)) undo();
  });
  const listen = async (user: TestUser): Promise<EventClient> => {
    const events = openEvents(t.server.url, user.token);
    cleanup.push(() => events.close());
    await events.opened;
    return events;
  };
  const groupOf = async (admin: TestUser, members: TestUser[], name = "Runs") =>
    (await admin.api.post("/api/v1/chat/rooms", { type: "group", name, participant_ids: members.map((m) => m.id) })).body.id as string;
  const say = async (user: TestUser, roomId: string, content: string) =>
    (await user.api.post(`/api/v1/chat/messages/${roomId}`, { content })).body.id as string;
  const openRoom = async (user: TestUser, roomId: string): Promise<OpenDocument> => {
    const socket = connectSocket(t.server.wsUrl);
    cleanup.push(() => socket.destroy());
    const room = openDocument(socket, `room:${roomId}`, user.token);
    await room.synced();
    return room;
  };
  const typeInAwareness = (room: OpenDocument, user: TestUser, typing: boolean) => {
    room.provider.setAwarenessField("user", { id: user.id, name: user.username });
    room.provider.setAwarenessField("typing", typing);
  };

  // Events are sent in journal order, so once a later marker arrives, an earlier event that was
  // going to be sent would have arrived before it.

  it("sends nothing of a room to someone who is not in it", async () => {
    const [ana, ben, cai] = await signUpAll(t.server.url, "ana", "ben", "cai");
    const secret = await groupOf(ana, [ben], "Private");
    const shared = await groupOf(ana, [cai], "Shared");
    const caiEvents = await listen(cai);
    const secretId = await say(ana, secret, "secret");
    await ana.api.post(`/api/v1/chat/messages/${secretId}/reactions`, { emoji: "👍" });
    await ana.api.post(`/api/v1/chat/rooms/${secret}/typing`, { typing: true });
    await ana.api.put(`/api/v1/chat/rooms/${secret}`, { name: "Still private" });
    const marker = await say(ana, shared, "marker");
    await ana.api.post(`/api/v1/chat/rooms/${shared}/typing`, { typing: true });
    await caiEvents.next("message.created", (m) => m.id === marker);
    await caiEvents.next("typing", (e) => e.room_id === shared);
    expect(caiEvents.received.filter(inRoom(secret))).toEqual([]);
    expect(caiEvents.all("room.updated").filter((r) => r.data.id === secret)).toEqual([]);
    // Nor may they say they type there.
    const refused = await cai.api.post(`/api/v1/chat/rooms/${secret}/typing`, { typing: true });
    expect([refused.status, refused.body.error.code]).toEqual([403, "not_a_member"]);
  });

  it("stops a removed member's events of the room at once, and keeps their other rooms", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const crew = await groupOf(ana, [ben], "Crew");
    const other = await groupOf(ana, [ben], "Other");
    const benEvents = await listen(ben);
    const seen = await say(ana, crew, "while you are here");
    await benEvents.next("message.created", (m) => m.id === seen);
    expect((await ana.api.delete(`/api/v1/chat/rooms/${crew}/members/${ben.id}`)).status).toBe(204);
    const unseen = await say(ana, crew, "after you left");
    await ana.api.post(`/api/v1/chat/rooms/${crew}/typing`, { typing: true });
    const marker = await say(ana, other, "marker");
    await benEvents.next("message.created", (m) => m.id === marker);
    await benEvents.next("room.removed", (r) => r.room_id === crew);
    expect(benEvents.all("message.created").map((e) => e.data.id)).not.toContain(unseen);
    expect(benEvents.all("typing").filter((e) => e.data.room_id === crew)).toEqual([]);
  });

  it("sends nothing in our direct room from someone who blocked me; groups are not affected", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const direct = (await ben.api.post("/api/v1/chat/rooms", { type: "direct", participant_ids: [ana.id] })).body.id as string;
    const group = await groupOf(ana, [ben], "Club");
    const anaDirect = await openRoom(ana, direct);
    const anaGroup = await openRoom(ana, group);
    expect((await ana.api.post(`/api/v1/chat/friends/block/${ben.id}`)).status).toBe(204);
    const benEvents = await listen(ben);

    // Ana (who blocked ben) types in the direct room, then in the group: ben gets only the group's.
    typeInAwareness(anaDirect, ana, true);
    typeInAwareness(anaGroup, ana, true);
    await benEvents.next("typing", (e) => e.room_id === group && e.user_id === ana.id && e.typing);
    const marker = await say(ana, group, "a block is between two people, not a way to silence a group");
    await benEvents.next("message.created", (m) => m.id === marker);
    expect(benEvents.received.filter(inRoom(direct))).toEqual([]);
    // The room is read-only for both: REST typing there is refused.
    const refused = await ben.api.post(`/api/v1/chat/rooms/${direct}/typing`, { typing: true });
    expect([refused.status, refused.body.error.code]).toEqual([403, "blocked"]);
  });

  it("closes the stream when its session logs out", async () => {
    const [ana] = await signUpAll(t.server.url, "ana");
    const anaEvents = await listen(ana);
    const errors: unknown[] = [];
    anaEvents.source.addEventListener("error", (e) => errors.push(e));
    expect((await ana.api.post("/api/v1/auth/logout")).status).toBe(204);
    // The library reconnects, and the server refuses the revoked token: the stream stays closed.
    await waitFor(() => anaEvents.source.readyState === anaEvents.source.CLOSED, "the stream to close for good");
    expect(errors.length).toBeGreaterThan(0);
  });
});
