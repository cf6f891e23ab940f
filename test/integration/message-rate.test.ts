import { afterEach, describe, expect, it } from "vitest";
import { newId } from "../../shared/ids.ts";
import { sendMessage } from "../../shared/room-doc/index.ts";
import { signUpAll } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { connectSocket, openDocument } from "../helpers/sync-client.ts";
import { useTestServer } from "../helpers/test-server.ts";
import { waitFor } from "../helpers/wait-for.ts";

describe.each(backendsUnderTest())("message rate limits on %s", (backend) => {
  const t = useTestServer(backend, { MESSAGES_PER_MINUTE: "5", MESSAGES_ABUSE_PER_TEN_MINUTES: "30" });
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const fn of cleanup.splice(0)) fn();
  });

  it("paces an offline backlog by holding its acknowledgement back, and stores every message of it", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { participant_ids: [ben.id] })).body.id;
    const socket = connectSocket(t.server.wsUrl);
    cleanup.push(() => socket.destroy());
    const room = openDocument(socket, `room:${roomId}`, ana.token);
    await room.synced();
    const started = Date.now();
    // A backlog arrives as one update, as after a reconnect.
    room.doc.transact(() => {
      for (let i = 0; i < 8; i++) sendMessage(room.doc, { id: newId(), sender_id: ana.id, content: `burst ${i}` });
    });
    await room.saved();
    expect(room.refusals).toEqual([]);
    // Three past the pace of 5 a minute: the acknowledgement was held back (capped at 5 s), not refused.
    expect(Date.now() - started).toBeGreaterThan(4_500);
    const stored = (await ben.api.get(`/api/v1/chat/messages/${roomId}`)).body.items.filter((m: { content: string }) =>
      m.content.startsWith("burst"),
    );
    expect(stored).toHaveLength(8);
  });

  it("refuses a sustained flood on the WebSocket and over REST with rate_limited", async () => {
    const [eve, ben] = await signUpAll(t.server.url, "eve", "ben");
    const roomId = (await eve.api.post("/api/v1/chat/rooms", { participant_ids: [ben.id] })).body.id;
    const socket = connectSocket(t.server.wsUrl);
    cleanup.push(() => socket.destroy());
    const room = openDocument(socket, `room:${roomId}`, eve.token);
    await room.synced();
    // One update with more messages than the abuse limit allows.
    room.doc.transact(() => {
      for (let i = 0; i < 31; i++) sendMessage(room.doc, { id: newId(), sender_id: eve.id, content: `spam ${i}` });
    });
    await waitFor(() => room.refusals.length > 0, "the refusal");
    expect(room.refusals[0]?.code).toBe("rate_limited");
    expect(room.closeReasons).toContain("rate_limited");
    const rest = await eve.api.post(`/api/v1/chat/messages/${roomId}`, { content: "one more" });
    expect(rest.status).toBe(429);
    expect(rest.body.error.code).toBe("rate_limited");
    expect(Number(rest.headers.get("retry-after"))).toBeGreaterThan(0);
    const stored = (await ben.api.get(`/api/v1/chat/messages/${roomId}`)).body.items;
    expect(stored.filter((m: { content: string }) => m.content.startsWith("spam"))).toHaveLength(0);
  });
});

describe.each(backendsUnderTest())("slow mode on %s", (backend) => {
  const t = useTestServer(backend);

  it("lets a group admin set slow mode: members are paced to one message per interval, admins are not", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const room = (await ana.api.post("/api/v1/chat/rooms", { type: "group", name: "Quiet", participant_ids: [ben.id] })).body;
    const byMember = await ben.api.put(`/api/v1/chat/rooms/${room.id}`, { slow_mode_seconds: 1 });
    expect(byMember.status).toBe(403);
    const set = await ana.api.put(`/api/v1/chat/rooms/${room.id}`, { slow_mode_seconds: 2 });
    expect(set.body.slow_mode_seconds).toBe(2);

    const started = Date.now();
    for (let i = 0; i < 3; i++) expect((await ben.api.post(`/api/v1/chat/messages/${room.id}`, { content: `slow ${i}` })).status).toBe(201);
    // The second waited for the interval to pass (fixed windows of 2 s): paced, not refused.
    expect(Date.now() - started).toBeGreaterThan(1_800);

    const adminStarted = Date.now();
    for (let i = 0; i < 3; i++) await ana.api.post(`/api/v1/chat/messages/${room.id}`, { content: `admin ${i}` });
    expect(Date.now() - adminStarted).toBeLessThan(2_000);
  }, 30_000);
});
