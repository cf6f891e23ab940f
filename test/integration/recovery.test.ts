import { afterEach, describe, expect, it } from "vitest";
import type * as Y from "yjs";
import { type Refusal, RoomSession } from "../../client/sync/room-session.ts";
import { newId } from "../../shared/ids.ts";
import { listMessages, roomMaps, sendMessage } from "../../shared/room-doc/index.ts";
import { signUpAll } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { connectSocket, goOffline, goOnline } from "../helpers/sync-client.ts";
import { useTestServer } from "../helpers/test-server.ts";
import { waitFor } from "../helpers/wait-for.ts";

describe.each(backendsUnderTest())("a client recovering from a refusal on %s", (backend) => {
  const t = useTestServer(backend);
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const fn of cleanup.splice(0)) fn();
  });

  it("keeps the unsent text for a retry, drops the refused change, resyncs, and does not resend it", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { type: "group", name: "Crew", participant_ids: [ben.id] })).body.id;
    const bens = (await ben.api.post(`/api/v1/chat/messages/${roomId}`, { content: "ben's words" })).body;
    const socket = connectSocket(t.server.wsUrl);
    cleanup.push(() => socket.destroy());
    const session = new RoomSession({ socket, roomId, userId: ana.id, token: ana.token });
    cleanup.push(() => session.destroy());
    const refusals: Refusal[] = [];
    session.onRefused((r) => refusals.push(r));
    await session.whenSynced();

    // Offline, Ana writes a message and (a buggy or hostile build) rewrites Ben's message.
    await goOffline(socket);
    const draftId = newId();
    sendMessage(session.doc, { id: draftId, sender_id: ana.id, content: "see you at 7" });
    const refusedDoc: Y.Doc = session.doc;
    (roomMaps(refusedDoc).messages.get(bens.id) as Y.Map<unknown>).set("content", "rewritten by ana");
    await goOnline(socket);

    await waitFor(() => refusals.length > 0, "the refusal");
    expect(refusals[0]).toMatchObject({ code: "not_permitted", unsent: [{ id: draftId, content: "see you at 7" }] });
    expect(session.doc).not.toBe(refusedDoc);
    await session.whenSynced();
    // The fresh copy is a live connection with nothing waiting (the app's indicator says "Online").
    await waitFor(() => session.provider.isAuthenticated && !session.provider.hasUnsyncedChanges, "the fresh copy to settle");
    // The fresh copy holds the server's truth: Ben's words, and not the refused edit.
    expect(listMessages(session.doc).find((m) => m.id === bens.id)?.content).toBe("ben's words");

    // Retrying the unsent text works, once, and nothing is refused again.
    const [unsent] = refusals[0]?.unsent ?? [];
    sendMessage(session.doc, { id: unsent?.id, sender_id: ana.id, content: unsent?.content ?? "" });
    await waitFor(async () => {
      const items = (await ben.api.get(`/api/v1/chat/messages/${roomId}`)).body.items as Array<{ id: string; content: string }>;
      return items.filter((m) => m.id === draftId).length === 1;
    }, "the retried message over REST");
    await goOffline(socket);
    await goOnline(socket);
    await session.whenSynced();
    expect(refusals).toHaveLength(1);
    const stored = (await ben.api.get(`/api/v1/chat/messages/${roomId}`)).body.items as Array<{ id: string; content: string }>;
    expect(stored.find((m) => m.id === bens.id)?.content).toBe("ben's words");
  });

  it("closes a room for good when its member is removed, instead of reopening it again and again", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { type: "group", name: "Crew", participant_ids: [ben.id] })).body.id;
    const socket = connectSocket(t.server.wsUrl);
    cleanup.push(() => socket.destroy());
    const session = new RoomSession({ socket, roomId, userId: ben.id, token: ben.token });
    cleanup.push(() => session.destroy());
    const refusals: Refusal[] = [];
    session.onRefused((r) => refusals.push(r));
    await session.whenSynced();
    const before = session.doc;

    expect((await ana.api.delete(`/api/v1/chat/rooms/${roomId}/members/${ben.id}`)).status).toBe(204);
    await waitFor(() => refusals.length > 0, "the refusal");
    expect(refusals[0]).toMatchObject({ code: "not_a_member", final: true });
    // Not reopened: the same (closed) copy, which no longer receives the room, and no second refusal.
    expect(session.doc).toBe(before);
    const marker = (await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "after ben left" })).body.id as string;
    expect(listMessages(session.doc).some((m) => m.id === marker)).toBe(false);
    expect(refusals).toHaveLength(1);
  });
});
