import type { HocuspocusProviderWebsocket } from "@hocuspocus/provider";
import { afterEach, describe, expect, it } from "vitest";
import { AdminOperations } from "../../server/admin/operations.ts";
import { newId } from "../../shared/ids.ts";
import { editMessage, getMessage, liveSegmentOf, sendMessage } from "../../shared/room-doc/index.ts";
import { signUpAll, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { connectSocket, goOffline, goOnline, type OpenDocument, openDocument } from "../helpers/sync-client.ts";
import { useTestServer } from "../helpers/test-server.ts";
import { waitFor } from "../helpers/wait-for.ts";

// Small segments, so a handful of messages fills several (docs/architecture.md "Long-lived rooms").
const SEGMENT_MESSAGES = 5;

type Item = { id: string; seq: number; content: string | null; is_deleted: boolean; edited_at: string | null; reactions: object };

describe.each(backendsUnderTest())("a room as a chain of segments on %s", (backend) => {
  const t = useTestServer(backend, { SEGMENT_MESSAGES: String(SEGMENT_MESSAGES) });
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const f of cleanup.splice(0)) f();
  });

  const open = (
    user: TestUser,
    name: string,
    socket?: HocuspocusProviderWebsocket,
  ): OpenDocument & { socket: HocuspocusProviderWebsocket } => {
    const own = socket ?? connectSocket(t.server.wsUrl);
    const room = openDocument(own, name, user.token);
    cleanup.push(() => {
      room.destroy();
      if (!socket) own.destroy();
    });
    return { ...room, socket: own };
  };

  /** Every message of the room over REST, paging back 4 at a time, oldest first. */
  async function everyMessage(user: TestUser, roomId: string): Promise<Item[]> {
    const items: Item[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=4&before=${cursor}` : "?limit=4";
      const page = await user.api.get(`/api/v1/chat/messages/${roomId}${query}`);
      expect(page.status).toBe(200);
      items.unshift(...page.body.items);
      cursor = page.body.next_cursor;
    } while (cursor);
    return items;
  }

  async function groupWith(count: number) {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { type: "group", name: "Long run", participant_ids: [ben.id] })).body
      .id as string;
    const sent: string[] = [];
    for (let i = 0; i < count; i++) {
      const author = i % 2 === 0 ? ana : ben;
      const response = await author.api.post(`/api/v1/chat/messages/${roomId}`, { content: `Km ${i}` });
      expect([response.status, response.body.error]).toEqual([201, undefined]);
      sent.push(response.body.id);
    }
    return { ana, ben, roomId, sent };
  }

  const liveSegment = async (roomId: string) =>
    (await t.server.context.db.query<{ live_segment: number }>("SELECT live_segment FROM chat_rooms WHERE id = $1", [roomId])).rows[0]
      ?.live_segment ?? 0;

  it("seals each segment as it fills: numbers continue one order, pages walk every segment once, the head names the live one", async () => {
    const { ana, roomId, sent } = await groupWith(14);
    const items = await everyMessage(ana, roomId);
    expect(items.map((m) => m.seq)).toEqual(items.map((_, i) => i + 1));
    expect(items.filter((m) => sent.includes(m.id)).map((m) => m.content)).toEqual(sent.map((_, i) => `Km ${i}`));
    const live = await liveSegment(roomId);
    // The room's creation wrote system lines first; 14 more messages filled at least two segments.
    expect(live).toBeGreaterThanOrEqual(2);

    const head = open(ana, `room:${roomId}`);
    await head.synced();
    await waitFor(() => liveSegmentOf(head.doc) === live, "the head to name the live segment");
    const segment = open(ana, `room:${roomId}:${live}`, head.socket);
    await segment.synced();
    // A message written into the live segment takes the room's next number.
    const { id } = sendMessage(segment.doc, { sender_id: ana.id, content: "Cool-down" });
    await segment.saved();
    await waitFor(() => getMessage(segment.doc, id)?.seq, "the new message to be numbered");
    expect(getMessage(segment.doc, id)?.seq).toBe(items.length + 1);
    // A fresh replica of the head holds at most a segment's worth of messages, whatever the history.
    expect(head.doc.getMap("messages").size).toBeLessThanOrEqual(SEGMENT_MESSAGES);
  });

  it("messages of sealed segments still take edits, reactions, deletes and read markers, over REST and Yjs", async () => {
    const { ana, ben, roomId, sent } = await groupWith(12);
    const old = sent[1] as string; // ben's, in a sealed segment
    const { rows } = await t.server.context.db.query<{ segment: number }>("SELECT segment FROM chat_message_index WHERE message_id = $1", [
      old,
    ]);
    const holder = rows[0]?.segment ?? 0;
    expect(holder).toBeLessThan(await liveSegment(roomId));

    expect((await ben.api.put(`/api/v1/chat/messages/${old}`, { content: "Km 1, uphill" })).status).toBe(200);
    expect((await ana.api.post(`/api/v1/chat/messages/${old}/reactions`, { emoji: "🔥" })).status).toBe(201);
    expect((await ana.api.post(`/api/v1/chat/messages/${old}/read`)).body.moved).toBe(true);
    const newest = sent.at(-1) as string;
    expect((await ben.api.post(`/api/v1/chat/messages/${newest}/read`)).body.moved).toBe(true);
    const rooms = (await ben.api.get("/api/v1/chat/rooms")).body.items;
    expect(rooms.find((r: { id: string }) => r.id === roomId).unread_count).toBe(0);

    // Over Yjs, in the segment's own document: ben edits his message again; he may not delete ana's.
    const bens = open(ben, holder === 0 ? `room:${roomId}` : `room:${roomId}:${holder}`);
    await bens.synced();
    editMessage(bens.doc, { message_id: old, actor_id: ben.id, content: "Km 1, uphill, windy" });
    await bens.saved();
    const mine = (await everyMessage(ana, roomId)).find((m) => m.id === old);
    expect(mine).toMatchObject({ content: "Km 1, uphill, windy", reactions: { "🔥": [ana.id] } });
    expect((await ben.api.delete(`/api/v1/chat/messages/${sent[0]}`)).status).toBe(403);
    expect((await ben.api.delete(`/api/v1/chat/messages/${old}`)).status).toBe(204);
    expect((await everyMessage(ana, roomId)).find((m) => m.id === old)).toMatchObject({ is_deleted: true, content: null, reactions: {} });
  });

  it("a message written offline into a segment sealed meanwhile lands once, in the live segment, after everything before it", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { type: "group", name: "Trail", participant_ids: [ben.id] })).body
      .id as string;
    const anas = open(ana, `room:${roomId}`);
    await anas.synced();
    await goOffline(anas.socket);
    const { id } = sendMessage(anas.doc, { sender_id: ana.id, content: "Written on the trail, no signal" });
    for (let i = 0; i < 2 * SEGMENT_MESSAGES; i++) {
      expect((await ben.api.post(`/api/v1/chat/messages/${roomId}`, { content: `Meanwhile ${i}` })).status).toBe(201);
    }
    expect(await liveSegment(roomId)).toBeGreaterThan(0);
    await goOnline(anas.socket);
    await waitFor(() => anas.refusals.some((r) => r.code === "segment_sealed"), "the sealed segment to refuse the offline message");
    const items = await everyMessage(ben, roomId);
    const landed = items.filter((m) => m.id === id);
    expect(landed).toHaveLength(1);
    expect(landed[0]?.seq).toBe(items.length);
    expect(items.map((m) => m.seq)).toEqual(items.map((_, i) => i + 1));
  });

  it("operators see and repair the whole chain: verify, dump, history, erase of a sealed message, and a rebuilt mirror", async () => {
    const { ana, roomId, sent } = await groupWith(12);
    const ops = new AdminOperations(t.server.context.db, { name: "cli:test", userId: null }, (event) =>
      t.server.context.bus.publish(event),
    );
    expect((await ops.verify(roomId)).mismatches).toEqual([]);
    const dump = await ops.dump(roomId);
    expect(dump.messages.map((m) => m.seq)).toEqual(dump.messages.map((_, i) => i + 1));
    expect(sent.every((id) => dump.messages.some((m) => m.id === id))).toBe(true);
    expect((await ops.history(roomId, 1000)).length).toBeGreaterThanOrEqual(12);

    const erased = sent[0] as string; // in the head, sealed
    await ops.erase(roomId, erased);
    expect((await everyMessage(ana, roomId)).find((m) => m.id === erased)).toMatchObject({ is_deleted: true, content: null });
    // A mirror lost and rebuilt from the documents (verify --repair) holds every segment's messages again.
    await t.server.context.db.query("DELETE FROM chat_message_index WHERE room_id = $1", [roomId]);
    expect((await ops.verify(roomId, true)).repaired).toEqual([roomId]);
    expect((await ops.verify(roomId)).mismatches).toEqual([]);
    const items = await everyMessage(ana, roomId);
    expect(items.map((m) => m.seq)).toEqual(dump.messages.map((m) => m.seq));
  });

  it("sends racing a seal are all stored once, and a retry of a message now in a sealed segment is not stored again", async () => {
    const { ana, roomId, sent } = await groupWith(3);
    const ids = Array.from({ length: 4 * SEGMENT_MESSAGES }, () => newId());
    const answers = await Promise.all(ids.map((id, i) => ana.api.post(`/api/v1/chat/messages/${roomId}`, { id, content: `Rep ${i}` })));
    expect(answers.map((a) => [a.status, a.body.error?.code])).toEqual(ids.map(() => [201, undefined]));
    const retry = await ana.api.post(`/api/v1/chat/messages/${roomId}`, { id: sent[0], content: "Km 0" });
    expect(retry.status).toBe(200);
    // A reply in the live segment may name a message of a sealed one, and only a message of the room.
    const reply = await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "As I said", reply_to_id: sent[0] });
    expect([reply.status, reply.body.reply_to_id]).toEqual([201, sent[0]]);
    const stray = await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "?", reply_to_id: newId() });
    expect([stray.status, stray.body.error?.code]).toEqual([400, "reply_target_missing"]);
    // Over Yjs too: the same id written into the live segment is refused, not stored a second time.
    const live = open(ana, `room:${roomId}:${await liveSegment(roomId)}`);
    await live.synced();
    sendMessage(live.doc, { id: sent[0], sender_id: ana.id, content: "Km 0" });
    await waitFor(() => live.refusals.some((r) => r.code === "message_id_taken"), "the second copy to be refused");
    const items = await everyMessage(ana, roomId);
    expect(items.map((m) => m.seq)).toEqual(items.map((_, i) => i + 1));
    for (const id of [...ids, ...sent]) expect(items.filter((m) => m.id === id)).toHaveLength(1);
  });

  it("deleting an old message leaves the room's last message; reporting one quotes it; markers stay in the head", async () => {
    const { ana, ben, roomId, sent } = await groupWith(12);
    expect((await ben.api.delete(`/api/v1/chat/messages/${sent[1]}`)).status).toBe(204);
    const listed = (await ana.api.get("/api/v1/chat/rooms")).body.items.find((r: { id: string }) => r.id === roomId);
    expect(listed.last_message).toMatchObject({ id: sent[11], content: "Km 11" });
    const newest = sent[11] as string;
    const report = await ben.api.post("/api/v1/reports", { message_id: sent[10], reason: "spam" });
    expect(report.status).toBe(201);
    // A marker written into a segment, where no one reads it, is refused; the head takes it over REST.
    const live = await liveSegment(roomId);
    const segment = open(ana, `room:${roomId}:${live}`);
    await segment.synced();
    const seq = getMessage(segment.doc, newest)?.seq ?? (await everyMessage(ana, roomId)).find((m) => m.id === newest)?.seq;
    segment.doc.getMap("receipts").set(ana.id, { message_id: newest, seq, read_at: new Date().toISOString() });
    await waitFor(() => segment.refusals.some((r) => r.code === "not_permitted"), "the marker in a segment to be refused");
    expect((await ana.api.post(`/api/v1/chat/messages/${newest}/read`)).body.moved).toBe(true);
    expect((await ana.api.get("/api/v1/chat/rooms")).body.items.find((r: { id: string }) => r.id === roomId).unread_count).toBe(0);
  });

  it("a member removed from the room loses every segment at once, not only its head", async () => {
    const { ana, ben, roomId } = await groupWith(8);
    const live = await liveSegment(roomId);
    const bens = open(ben, `room:${roomId}:${live}`);
    await bens.synced();
    expect((await ana.api.delete(`/api/v1/chat/rooms/${roomId}/members/${ben.id}`)).status).toBe(204);
    await waitFor(() => bens.refusals.some((r) => r.code === "not_a_member"), "ben's segment to be closed");
    const after = (await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "Only for the team now" })).body.id as string;
    expect(getMessage(bens.doc, after)).toBeNull();
  });

  it("refuses a segment the room does not have yet", async () => {
    const [ana] = await signUpAll(t.server.url, "ana");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { type: "group", name: "Solo", participant_ids: [] })).body.id as string;
    const ahead = open(ana, `room:${roomId}:7`);
    await waitFor(() => ahead.refusals.some((r) => r.code === "not_found") || ahead.authFailures.length > 0, "the refusal");
  });
});
