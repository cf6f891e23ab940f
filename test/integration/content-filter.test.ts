import { afterEach, describe, expect, it } from "vitest";
import { newId } from "../../shared/ids.ts";
import { editMessage, sendMessage } from "../../shared/room-doc/index.ts";
import { signUpAll } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { connectSocket, openDocument } from "../helpers/sync-client.ts";
import { useTestServer } from "../helpers/test-server.ts";
import { waitFor } from "../helpers/wait-for.ts";

type Item = { id: string; content: string | null; message_type: string };

describe.each(backendsUnderTest())("content filter on %s", (backend) => {
  const t = useTestServer(backend, { CONTENT_FILTER_WORDS: "darn,heck", BLOCKED_LINK_DOMAINS: "spam.example" });
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const fn of cleanup.splice(0)) fn();
  });

  async function group(mode?: "refuse" | "mask") {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const room = (await ana.api.post("/api/v1/chat/rooms", { type: "group", name: "Lifting", participant_ids: [ben.id] })).body;
    if (mode) expect((await ana.api.put(`/api/v1/chat/rooms/${room.id}`, { content_filter: mode })).body.content_filter).toBe(mode);
    return { ana, ben, roomId: room.id as string };
  }

  const contents = async (api: { get(path: string): Promise<{ body: { items: Item[] } }> }, roomId: string) =>
    (await api.get(`/api/v1/chat/messages/${roomId}`)).body.items.filter((m) => m.message_type !== "system").map((m) => m.content);

  it("serves the rules to signed-in users, and lets only a group's admins choose its mode", async () => {
    const { ana, ben, roomId } = await group();
    const rules = await ben.api.get("/api/v1/content-filter");
    expect(rules.body).toEqual({ words: ["darn", "heck"], patterns: [], blocked_domains: ["spam.example"], default_mode: "mask" });
    expect((await fetch(`${t.server.url}/api/v1/content-filter`)).status).toBe(401);
    expect((await ana.api.get(`/api/v1/chat/rooms/${roomId}`)).body.content_filter).toBeNull();
    const byMember = await ben.api.put(`/api/v1/chat/rooms/${roomId}`, { content_filter: "refuse" });
    expect(byMember.status).toBe(403);
    expect((await ana.api.put(`/api/v1/chat/rooms/${roomId}`, { content_filter: "sometimes" })).status).toBe(400);
  });

  it("masks filtered words sent and edited over REST in a masking room", async () => {
    const { ana, ben, roomId } = await group("mask");
    const sent = await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "Darn, that deadlift" });
    expect(sent.status).toBe(201);
    expect(sent.body.content).toBe("****, that deadlift");
    const edited = await ana.api.put(`/api/v1/chat/messages/${sent.body.id}`, { content: "what the heck" });
    expect(edited.body.content).toBe("what the ****");
    expect(await contents(ben.api, roomId)).toContain("what the ****");
  });

  it("refuses filtered words over REST in a refusing room with 422 content_blocked, and stores nothing", async () => {
    const { ana, ben, roomId } = await group("refuse");
    const sent = await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "darn it" });
    expect(sent.status).toBe(422);
    expect(sent.body.error.code).toBe("content_blocked");
    const ok = await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "fine set" });
    const edit = await ana.api.put(`/api/v1/chat/messages/${ok.body.id}`, { content: "heck no" });
    expect(edit.status).toBe(422);
    expect(await contents(ben.api, roomId)).toEqual(["fine set"]);
  });

  it("refuses links to blocked domains over REST in every mode with 422 link_blocked", async () => {
    const { ana, roomId } = await group("mask");
    const sent = await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "cheap protein at shop.spam.example/deal" });
    expect(sent.status).toBe(422);
    expect(sent.body.error).toMatchObject({ code: "link_blocked", message: expect.stringContaining("shop.spam.example") });
  });

  it("on the WebSocket accepts text the app masked, refuses unmasked words and blocked links, and stores neither", async () => {
    const { ana, ben, roomId } = await group("mask");
    const socket = connectSocket(t.server.wsUrl);
    cleanup.push(() => socket.destroy());
    const room = openDocument(socket, `room:${roomId}`, ana.token);
    await room.synced();
    const masked = newId();
    sendMessage(room.doc, { id: masked, sender_id: ana.id, content: "**** that was heavy" });
    await room.saved();
    expect(room.refusals).toEqual([]);

    sendMessage(room.doc, { id: newId(), sender_id: ana.id, content: "darn that was heavy" });
    await waitFor(() => room.refusals.length > 0, "the refusal");
    expect(room.refusals[0]?.code).toBe("content_blocked");
    expect(room.closeReasons).toContain("content_blocked");
    expect(await contents(ben.api, roomId)).toEqual(["**** that was heavy"]);

    // A fresh connection may edit its message, but not into a blocked link.
    const socket2 = connectSocket(t.server.wsUrl);
    cleanup.push(() => socket2.destroy());
    const again = openDocument(socket2, `room:${roomId}`, ana.token);
    await again.synced();
    editMessage(again.doc, { message_id: masked, actor_id: ana.id, content: "see https://spam.example/x" });
    await waitFor(() => again.refusals.length > 0, "the refusal");
    expect(again.refusals[0]?.code).toBe("link_blocked");
    expect(await contents(ben.api, roomId)).toEqual(["**** that was heavy"]);
  });

  it("on the WebSocket in a refusing room, refuses a filtered word with content_blocked and stores nothing", async () => {
    const { ana, ben, roomId } = await group("refuse");
    const socket = connectSocket(t.server.wsUrl);
    cleanup.push(() => socket.destroy());
    const room = openDocument(socket, `room:${roomId}`, ana.token);
    await room.synced();
    sendMessage(room.doc, { id: newId(), sender_id: ana.id, content: "heck of a climb" });
    await waitFor(() => room.refusals.length > 0, "the refusal");
    expect(room.refusals[0]?.code).toBe("content_blocked");
    expect(await contents(ben.api, roomId)).toEqual([]);
  });
});
