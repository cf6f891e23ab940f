import { afterEach, describe, expect, it } from "vitest";
import { AdminOperations } from "../../server/admin/operations.ts";
import { addReaction, deleteMessage, editMessage, listMessages, markRead, readBy, sendMessage } from "../../shared/room-doc/index.ts";
import { signUpAll, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { connectSocket, type OpenDocument, openDocument } from "../helpers/sync-client.ts";
import { useTestServer } from "../helpers/test-server.ts";
import { waitFor } from "../helpers/wait-for.ts";

type Page = { items: Array<Record<string, unknown> & { id: string }>; next_cursor: string | null };

describe.each(backendsUnderTest())("REST pages from the relational mirror on %s", (backend) => {
  const t = useTestServer(backend);
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const f of cleanup.splice(0)) f();
  });

  const open = async (user: TestUser, roomId: string): Promise<OpenDocument> => {
    const socket = connectSocket(t.server.wsUrl);
    const room = openDocument(socket, `room:${roomId}`, user.token);
    cleanup.push(() => {
      room.destroy();
      socket.destroy();
    });
    await room.synced();
    return room;
  };

  /** Every page from the latest back, `limit` at a time, joined oldest first. */
  const walk = async (user: TestUser, roomId: string, limit: number) => {
    const pages: Page[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=${limit}&before=${cursor}` : `?limit=${limit}`;
      const page = await user.api.get(`/api/v1/chat/messages/${roomId}${query}`);
      expect(page.status).toBe(200);
      pages.unshift(page.body);
      cursor = page.body.next_cursor;
    } while (cursor);
    return { pages, items: pages.flatMap((p) => p.items) };
  };

  /** What a fresh Yjs replica of the room shows, as the REST response's fields. */
  const fromDocument = async (user: TestUser, roomId: string) => {
    const { doc } = await open(user, roomId);
    return listMessages(doc, { limit: 10_000 }).map((m) => ({
      id: m.id,
      seq: m.seq,
      sender_id: m.sender_id,
      message_type: m.type,
      content: m.content,
      media_urls: m.media_urls,
      attachments: m.attachments,
      location: m.location,
      reply_to_id: m.reply_to_id,
      created_at: m.created_at,
      edited_at: m.edited_at,
      is_deleted: m.deleted,
      reactions: m.reactions,
      read_by: readBy(doc, m.id),
    }));
  };

  /** A group of three where messages arrive over both paths, with edits, deletes, reactions and receipts. */
  async function busyRoom() {
    const [ana, ben, cai] = await signUpAll(t.server.url, "ana", "ben", "cai");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { type: "group", name: "Track", participant_ids: [ben.id, cai.id] })).body
      .id as string;
    const anas = await open(ana, roomId);
    const sentByAna: string[] = [];
    for (let i = 0; i < 12; i++) {
      sentByAna.push(sendMessage(anas.doc, { sender_id: ana.id, content: `Lap ${i}` }).id);
      const bens = await ben.api.post(`/api/v1/chat/messages/${roomId}`, {
        content: `Split ${i}`,
        reply_to_id: i === 3 ? sentByAna[0] : null,
      });
      expect(bens.status).toBe(201);
    }
    await anas.saved();
    editMessage(anas.doc, { message_id: sentByAna[2] as string, actor_id: ana.id, content: "Lap 2, corrected" });
    addReaction(anas.doc, { message_id: sentByAna[4] as string, user_id: ana.id, emoji: "🔥" });
    addReaction(anas.doc, { message_id: sentByAna[5] as string, user_id: ana.id, emoji: "👍" });
    deleteMessage(anas.doc, { message_id: sentByAna[5] as string, actor_id: ana.id });
    await anas.saved();
    expect((await ben.api.post(`/api/v1/chat/messages/${sentByAna[4]}/reactions`, { emoji: "🔥" })).status).toBe(201);
    expect((await cai.api.post(`/api/v1/chat/messages/${sentByAna[4]}/reactions`, { emoji: "🏃" })).status).toBe(201);
    expect((await cai.api.post(`/api/v1/chat/messages/${sentByAna[7]}/reactions`, { emoji: "🏃" })).status).toBe(201);
    expect((await cai.api.delete(`/api/v1/chat/messages/${sentByAna[7]}/reactions/${encodeURIComponent("🏃")}`)).status).toBe(200);
    expect((await cai.api.post(`/api/v1/chat/messages/${sentByAna[6]}/read`)).body.moved).toBe(true);
    await waitFor(() => anas.doc.getMap("seq").has(sentByAna[9] as string), "ana's message to be accepted");
    markRead(anas.doc, { user_id: ana.id, message_id: sentByAna[9] as string });
    await anas.saved();
    return { ana, ben, cai, roomId, sentByAna };
  }

  it("pages back through every message exactly once, as the document shows it: edits, deletes, reactions, replies, read_by", async () => {
    const { ben, cai, roomId, sentByAna } = await busyRoom();
    const expected = await fromDocument(cai, roomId);
    // 12 of ana's and 12 of ben's, after the system lines of the room's creation.
    expect(expected.filter((m) => m.message_type !== "system")).toHaveLength(24);
    for (const limit of [1, 7, 50]) {
      const { items } = await walk(ben, roomId, limit);
      expect(items.map(({ sender_name: _n, sender_avatar: _a, room_id: _r, ...rest }) => rest)).toEqual(expected);
    }
    const latest = (await ben.api.get(`/api/v1/chat/messages/${roomId}?limit=3`)).body as Page;
    expect(latest.items.map((m) => m.content)).toEqual(["Split 10", "Lap 11", "Split 11"]);
    const byId = new Map((await walk(ben, roomId, 50)).items.map((m) => [m.id, m]));
    expect(byId.get(sentByAna[2] as string)).toMatchObject({ content: "Lap 2, corrected", edited_at: expect.any(String) });
    expect(byId.get(sentByAna[5] as string)).toMatchObject({ is_deleted: true, content: null, reactions: {} });
    expect(Object.keys(byId.get(sentByAna[4] as string)?.reactions as object).sort()).toEqual(["🏃", "🔥"]);
    expect(byId.get(sentByAna[7] as string)?.reactions).toEqual({});
  });

  it("mirrors a room stored before pages were mirrored from its document on the first read, and verify agrees after", async () => {
    const { ben, cai, roomId } = await busyRoom();
    const expected = await fromDocument(cai, roomId);
    const db = t.server.context.db;
    // What migration 0015 leaves of a room written by an older release: index rows without bodies.
    await db.query("UPDATE chat_message_index SET body = NULL WHERE room_id = $1", [roomId]);
    await db.query("DELETE FROM chat_message_reactions WHERE room_id = $1", [roomId]);
    await db.query("UPDATE chat_rooms SET messages_mirrored = false WHERE id = $1", [roomId]);
    const ops = new AdminOperations(db, { name: "cli:test", userId: null }, (event) => t.server.context.bus.publish(event));
    const before = (await ops.verify(roomId)).mismatches.map((m) => m.what);
    expect(before).toContain("pages not mirrored yet (the first page read or --repair builds them)");
    expect(before).toContain("reactions");

    const { items } = await walk(ben, roomId, 10);
    expect(items.map(({ sender_name: _n, sender_avatar: _a, room_id: _r, ...rest }) => rest)).toEqual(expected);
    expect((await ops.verify(roomId)).mismatches).toEqual([]);
  });

  it("answers a cursor it did not make with 400, never a 5xx", async () => {
    const [ana] = await signUpAll(t.server.url, "ana");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { type: "group", name: "Solo", participant_ids: [] })).body.id as string;
    for (const before of ["0", "12.not-a-uuid", "12.------------------------------------", "-3", "1e3"]) {
      const page = await ana.api.get(`/api/v1/chat/messages/${roomId}?before=${encodeURIComponent(before)}`);
      expect([page.status, page.body.error?.code]).toEqual([400, "invalid_request"]);
    }
  });
});
