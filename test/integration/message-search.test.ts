import { describe, expect, it } from "vitest";
import { RoomSession } from "../../client/sync/room-session.ts";
import { AdminOperations } from "../../server/admin/operations.ts";
import { sendMessage } from "../../shared/room-doc/index.ts";
import { signUpAll, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { connectSocket } from "../helpers/sync-client.ts";
import { useTestServer } from "../helpers/test-server.ts";
import { waitFor } from "../helpers/wait-for.ts";

describe.each(backendsUnderTest())("message search on %s", (backend) => {
  const t = useTestServer(backend, { UNSAFE_SKIP_MESSAGE_RATE_LIMITS: "true" });
  const group = async (admin: TestUser, name: string, members: TestUser[]) =>
    (await admin.api.post("/api/v1/chat/rooms", { type: "group", name, participant_ids: members.map((m) => m.id) })).body.id as string;
  const send = async (user: TestUser, roomId: string, content: string) =>
    (await user.api.post(`/api/v1/chat/messages/${roomId}`, { content })).body.id as string;
  const search = async (user: TestUser, q: string, roomId?: string, extra = "") =>
    user.api.get(`/api/v1/chat/messages/search?q=${encodeURIComponent(q)}${roomId ? `&room_id=${roomId}` : ""}${extra}`);
  const texts = (body: { items: Array<{ content: string }> }) => body.items.map((i) => i.content);

  it("finds words by their beginning, all of them, only in rooms the caller is in, newest first, in the list envelope", async () => {
    const [ana, ben, cai] = await signUpAll(t.server.url, "ana", "ben", "cai");
    const runs = await group(ana, "Runs", [ben]);
    const secret = await group(ben, "Secret", [cai]);
    await send(ana, runs, "River loop at 8");
    await send(ben, runs, "Running late, sorry");
    await send(ben, secret, "The river is private");

    const found = await search(ana, "riv");
    expect(found.status).toBe(200);
    expect(found.body).toEqual({
      items: [
        expect.objectContaining({
          room_id: runs,
          room_type: "group",
          room_name: "Runs",
          sender_id: ana.id,
          sender_name: "ana",
          content: "River loop at 8",
          seq: expect.any(Number),
          message_id: expect.any(String),
          created_at: expect.any(String),
        }),
      ],
      next_cursor: null,
    });
    expect(texts((await search(ana, "RUN")).body)).toEqual(["Running late, sorry"]);
    expect(texts((await search(ana, "river 8")).body)).toEqual(["River loop at 8"]);
    expect(texts((await search(ana, "river 9")).body)).toEqual([]);
    // Ben is in both rooms: across rooms he finds both, newest first; with room_id only that room's.
    expect(texts((await search(ben, "river")).body)).toEqual(["The river is private", "River loop at 8"]);
    expect(texts((await search(ben, "river", runs)).body)).toEqual(["River loop at 8"]);
    const notMine = await search(ana, "river", secret);
    expect([notMine.status, notMine.body.error.code]).toEqual([403, "not_a_member"]);
    const noWords = await search(ana, "!!! ...");
    expect([noWords.status, noWords.body.error.code]).toEqual([400, "invalid_request"]);
    expect((await ana.api.request("GET", "/api/v1/chat/messages/search?q=river", undefined, { authorization: "" })).status).toBe(401);
  });

  it("follows edits and deletes, forgets erased text, fills a room mirrored before search on repair, and stops answering a member who left", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const roomId = await group(ana, "Track", [ben]);
    const edited = await send(ben, roomId, "Intervals tomorrow");
    const deleted = await send(ben, roomId, "Intervals cancelled");
    const erased = await send(ben, roomId, "Intervals password hunter2");
    await ben.api.put(`/api/v1/chat/messages/${edited}`, { content: "Tempo tomorrow" });
    await ben.api.delete(`/api/v1/chat/messages/${deleted}`);
    const ops = new AdminOperations(t.server.context.db, { name: "cli:test", userId: null }, (e) => t.server.context.bus.publish(e));
    await ops.erase(roomId, erased);

    expect(texts((await search(ana, "intervals")).body)).toEqual([]);
    expect(texts((await search(ana, "tempo")).body)).toEqual(["Tempo tomorrow"]);
    const { rows } = await t.server.context.db.query<{ content: string | null }>(
      "SELECT content FROM chat_message_index WHERE message_id = ANY($1::uuid[]) ORDER BY message_id",
      [[deleted, erased]],
    );
    expect(rows).toEqual([{ content: null }, { content: null }]);

    // A room mirrored before search existed has no text in the index: verify says so, --repair fills it.
    await t.server.context.db.query("UPDATE chat_message_index SET content = NULL WHERE room_id = $1", [roomId]);
    expect(texts((await search(ana, "tempo")).body)).toEqual([]);
    const report = await ops.verify(roomId, true);
    expect(report.mismatches.map((m: { what: string }) => m.what)).toContain(`searchable text differs for message ${edited}`);
    expect(texts((await search(ana, "tempo")).body)).toEqual(["Tempo tomorrow"]);

    expect((await ben.api.delete(`/api/v1/chat/rooms/${roomId}`)).status).toBe(204);
    expect(texts((await search(ben, "tempo")).body)).toEqual([]);
  });

  it("finds what a WebSocket client wrote, and pages through many results with next_cursor", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const roomId = await group(ana, "Laps", [ben]);
    const socket = connectSocket(t.server.wsUrl);
    const session = new RoomSession({ socket, roomId, userId: ben.id, token: ben.token });
    await session.whenSynced();
    sendMessage(session.doc, { sender_id: ben.id, content: "Yjs says hello from the track" });
    await waitFor(async () => texts((await search(ana, "track")).body).length === 1, "the WebSocket message in search");
    session.destroy();
    socket.destroy();

    for (let i = 1; i <= 25; i++) await send(ana, roomId, `lap ${i}`);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await search(ana, "lap", roomId, `&limit=10${cursor ? `&before=${cursor}` : ""}`);
      expect(page.status).toBe(200);
      seen.push(...texts(page.body));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `lap ${25 - i}`));
    const bad = await search(ana, "lap", roomId, "&before=bm9wZQ");
    expect([bad.status, bad.body.error.code]).toEqual([400, "invalid_request"]);
  });
});
