import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { parseAwarenessState } from "../../shared/awareness.ts";
import { signUpAll, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { type EventClient, openEvents } from "../helpers/event-client.ts";
import { connectSocket, type OpenDocument, openDocument } from "../helpers/sync-client.ts";
import { useTestServer } from "../helpers/test-server.ts";
import { waitFor } from "../helpers/wait-for.ts";

/** The typing states `viewer` sees in the room's awareness, other than its own: user id → typing. */
function typingSeenBy(viewer: OpenDocument): Map<string, boolean> {
  const seen = new Map<string, boolean>();
  for (const [clientId, state] of viewer.provider.awareness?.getStates() ?? []) {
    const parsed = clientId === viewer.doc.clientID ? null : parseAwarenessState(state);
    if (parsed) seen.set(parsed.user.id, parsed.typing);
  }
  return seen;
}

describe.each(backendsUnderTest())("typing between REST and Yjs clients on %s", (backend) => {
  // The slow reader below needs a flood of messages from one user.
  const t = useTestServer(backend, { UNSAFE_SKIP_MESSAGE_RATE_LIMITS: "true" });
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
  const openRoom = async (user: TestUser, roomId: string): Promise<OpenDocument> => {
    const socket = connectSocket(t.server.wsUrl);
    cleanup.push(() => socket.destroy());
    const room = openDocument(socket, `room:${roomId}`, user.token);
    await room.synced();
    return room;
  };
  const groupOf = async (admin: TestUser, members: TestUser[]) =>
    (await admin.api.post("/api/v1/chat/rooms", { type: "group", name: "Runs", participant_ids: members.map((m) => m.id) })).body
      .id as string;

  it("shows a REST client's typing to Yjs clients (awareness) and event clients, and lets it lapse by itself", async () => {
    const [ana, ben, cai] = await signUpAll(t.server.url, "ana", "ben", "cai");
    const roomId = await groupOf(ana, [ben, cai]);
    const benRoom = await openRoom(ben, roomId);
    const caiEvents = await listen(cai);
    const lapse = t.server.context.events.options.typingLapseSeconds;
    t.server.context.events.options.typingLapseSeconds = 0.5;
    cleanup.push(() => {
      t.server.context.events.options.typingLapseSeconds = lapse;
    });

    expect((await ana.api.post(`/api/v1/chat/rooms/${roomId}/typing`, { typing: true })).status).toBe(204);
    await waitFor(() => typingSeenBy(benRoom).get(ana.id) === true, "ben's app to show ana typing");
    const state = [...(benRoom.provider.awareness?.getStates().values() ?? [])].find((s) => parseAwarenessState(s)?.user.id === ana.id);
    expect(state).toEqual({ user: { id: ana.id, name: "ana" }, typing: true });
    await caiEvents.next("typing", (e) => e.user_id === ana.id && e.typing);
    // Nothing more is said: it lapses for both kinds of client.
    await waitFor(() => !typingSeenBy(benRoom).has(ana.id), "ana's typing to lapse in ben's app");
    await caiEvents.next("typing", (e) => e.user_id === ana.id && !e.typing);

    // Saying it stops ends it at once.
    await ana.api.post(`/api/v1/chat/rooms/${roomId}/typing`, { typing: true });
    await waitFor(() => typingSeenBy(benRoom).get(ana.id) === true, "ana typing again");
    await ana.api.post(`/api/v1/chat/rooms/${roomId}/typing`, { typing: false });
    await waitFor(() => !typingSeenBy(benRoom).has(ana.id), "ana's typing to end in ben's app");
  });

  it("sends a Yjs client's typing (awareness) to event clients as typing events", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const roomId = await groupOf(ana, [ben]);
    const benEvents = await listen(ben);
    const anaRoom = await openRoom(ana, roomId);
    anaRoom.provider.setAwarenessField("user", { id: ana.id, name: "ana" });
    anaRoom.provider.setAwarenessField("typing", true);
    expect((await benEvents.next("typing", (e) => e.user_id === ana.id && e.typing)).data).toEqual({
      room_id: roomId,
      user_id: ana.id,
      typing: true,
    });
    anaRoom.provider.setAwarenessField("typing", false);
    await benEvents.next("typing", (e) => e.user_id === ana.id && !e.typing);
    // Closing the app while typing ends the typing too.
    anaRoom.provider.setAwarenessField("typing", true);
    await waitFor(() => benEvents.all("typing").filter((e) => e.data.typing).length === 2, "the second typing");
    anaRoom.destroy();
    await waitFor(() => benEvents.all("typing").filter((e) => !e.data.typing).length === 2, "typing to end as the app closes");
  });

  it("cuts off a reader that does not keep up instead of buffering without limit", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const roomId = await groupOf(ana, [ben]);
    const events = t.server.context.events;
    const bound = events.options.maxBufferedBytes;
    events.options.maxBufferedBytes = 64 * 1024;
    cleanup.push(() => {
      events.options.maxBufferedBytes = bound;
    });
    const cutBefore = events.stats.slowReadersCut;
    // A reader that never reads: the response is paused and nothing drains the socket.
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const request = http.get(`${t.server.url}/api/v1/events`, { headers: { authorization: `Bearer ${ben.token}` } }, resolve);
      request.on("error", reject);
      cleanup.push(() => request.destroy());
    });
    response.pause();
    await waitFor(() => events.openStreams > 0, "the stream to open");
    const big = "x".repeat(3_900);
    // Write until the server gives up on the reader (the kernel's socket buffers fill first).
    while (events.stats.slowReadersCut === cutBefore) {
      const sent = await Promise.all(Array.from({ length: 20 }, () => ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: big })));
      // A send that fails makes no event: say so, rather than writing on until the time-out.
      for (const res of sent) expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    // The connection is closed: reading on ends it (cut mid-stream, not a clean end of a response).
    const ended = new Promise<void>((resolve) => {
      response.on("close", resolve);
      response.on("error", () => resolve());
    });
    response.resume();
    await ended;
    expect(events.stats.slowReadersCut).toBe(cutBefore + 1);
  });
});
