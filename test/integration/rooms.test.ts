import { describe, expect, it } from "vitest";
import { editMessage, sendMessage } from "../../shared/room-doc/index.ts";
import { signUpAll, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { connectSocket, openDocument } from "../helpers/sync-client.ts";
import { useTestServer } from "../helpers/test-server.ts";
import { waitFor } from "../helpers/wait-for.ts";

describe.each(backendsUnderTest())("rooms on %s", (backend) => {
  const t = useTestServer(backend);
  const users = <const N extends readonly string[]>(...names: N) => signUpAll(t.server.url, ...names);
  const group = async (admin: TestUser, members: TestUser[], extra: Record<string, unknown> = {}) => {
    const res = await admin.api.post("/api/v1/chat/rooms", {
      type: "group",
      name: "Leg day",
      participant_ids: members.map((m) => m.id),
      ...extra,
    });
    expect(res.status).toBe(201);
    return res.body;
  };
  const messages = async (user: TestUser, roomId: string) => (await user.api.get(`/api/v1/chat/messages/${roomId}`)).body.items;

  it("gets or creates one direct room per pair, from either side", async () => {
    const [ana, ben] = await users("ana", "ben");
    const first = await ana.api.post("/api/v1/chat/rooms", {
      type: "direct",
      participant_ids: [ben.id],
    });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ type: "direct", unread_count: 0, last_message: null });
    const again = await ben.api.post("/api/v1/chat/rooms", { participant_ids: [ana.id] });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const [x, y] = await Promise.all([
      ana.api.post("/api/v1/chat/rooms", { participant_ids: [ben.id] }),
      ben.api.post("/api/v1/chat/rooms", { participant_ids: [ana.id] }),
    ]);
    expect(x.body.id).toBe(first.body.id);
    expect(y.body.id).toBe(first.body.id);
  });

  it("refuses a direct room with a user who blocked me", async () => {
    const [ana, ben] = await users("ana", "ben");
    await t.server.context.db.query("INSERT INTO user_blocks (blocker_id, blocked_id) VALUES ($1, $2)", [ben.id, ana.id]);
    const res = await ana.api.post("/api/v1/chat/rooms", { participant_ids: [ben.id] });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("blocked");
  });

  it("creates a group with the creator as admin and says so in system messages", async () => {
    const [ana, ben, cai] = await users("ana", "ben", "cai");
    const room = await group(ana, [ben, cai], {
      description: "Squats",
      context: { type: "trainer", id: "coach-7" },
    });
    expect(room).toMatchObject({
      type: "group",
      name: "Leg day",
      description: "Squats",
      my_role: "admin",
      context: { type: "trainer", id: "coach-7" },
    });
    expect(room.participants.map((p: { id: string; role: string }) => [p.id, p.role]).sort()).toEqual(
      [
        [ana.id, "admin"],
        [ben.id, "member"],
        [cai.id, "member"],
      ].sort(),
    );
    const lines = (await messages(ben, room.id)).map((m: { message_type: string; content: string }) => [m.message_type, m.content]);
    expect(lines).toEqual([
      ["system", 'ana created "Leg day"'],
      ["system", "ana added ben"],
      ["system", "ana added cai"],
    ]);
  });

  it("lets admins add, remove and promote; members may not", async () => {
    const [ana, ben, cai, dan] = await users("ana", "ben", "cai", "dan");
    const room = await group(ana, [ben]);
    const byMember = await ben.api.post(`/api/v1/chat/rooms/${room.id}/members`, {
      user_ids: [cai.id],
    });
    expect(byMember.status).toBe(403);
    expect(byMember.body.error.code).toBe("not_room_admin");
    expect((await ana.api.post(`/api/v1/chat/rooms/${room.id}/members`, { user_ids: [cai.id, dan.id] })).status).toBe(200);
    const promoted = await ana.api.put(`/api/v1/chat/rooms/${room.id}/members/${ben.id}`, {
      role: "admin",
    });
    expect(promoted.body.participants.find((p: { id: string }) => p.id === ben.id).role).toBe("admin");
    expect((await ben.api.delete(`/api/v1/chat/rooms/${room.id}/members/${dan.id}`)).status).toBe(204);
    const forDan = await dan.api.get(`/api/v1/chat/messages/${room.id}`);
    expect(forDan.status).toBe(403);
    expect(forDan.body.error.code).toBe("not_a_member");
    const contents = (await messages(ana, room.id)).map((m: { content: string }) => m.content);
    expect(contents.slice(-4)).toEqual(["ana added cai", "ana added dan", "ana made ben an admin", "ben removed dan"]);
  });

  it("renames, leaves (handing admin on), and joins public groups only", async () => {
    const [ana, ben, cai] = await users("ana", "ben", "cai");
    const room = await group(ana, [ben], { visibility: "public" });
    const renamed = await ana.api.put(`/api/v1/chat/rooms/${room.id}`, { name: "Push day" });
    expect(renamed.body.name).toBe("Push day");
    expect((await cai.api.get(`/api/v1/chat/rooms/${room.id}`)).status).toBe(200);
    const joined = await cai.api.post(`/api/v1/chat/rooms/${room.id}/join`);
    expect(joined.status).toBe(200);
    expect(joined.body.participants).toHaveLength(3);
    expect((await ana.api.delete(`/api/v1/chat/rooms/${room.id}`)).status).toBe(204);
    const after = await ben.api.get(`/api/v1/chat/rooms/${room.id}`);
    expect(after.body.participants.map((p: { id: string; role: string }) => [p.id, p.role])).toEqual([
      [ben.id, "admin"],
      [cai.id, "member"],
    ]);
    const contents = (await messages(ben, room.id)).map((m: { content: string }) => m.content);
    expect(contents.slice(-3)).toEqual(['ana renamed the room to "Push day"', "cai joined", "ana left"]);

    const secret = await group(ana, [ben]);
    const refused = await cai.api.post(`/api/v1/chat/rooms/${secret.id}/join`);
    expect(refused.status).toBe(404);
    expect((await cai.api.get(`/api/v1/chat/rooms/${secret.id}`)).status).toBe(404);
  });

  it("lists my rooms by last activity with unread counts and last message, paged", async () => {
    const [ana, ben, cai] = await users("ana", "ben", "cai");
    const withBen = (await ana.api.post("/api/v1/chat/rooms", { participant_ids: [ben.id] })).body;
    const withCai = (await ana.api.post("/api/v1/chat/rooms", { participant_ids: [cai.id] })).body;
    const gym = await group(ana, [ben, cai]);
    await ben.api.post(`/api/v1/chat/messages/${withBen.id}`, { content: "hi ana" });
    await ben.api.post(`/api/v1/chat/messages/${withBen.id}`, { content: "you there?" });
    await cai.api.post(`/api/v1/chat/messages/${withCai.id}`, { content: "morning" });

    const list = (await ana.api.get("/api/v1/chat/rooms")).body;
    expect(list.next_cursor).toBeNull();
    expect(list.items.map((r: { id: string }) => r.id)).toEqual([withCai.id, withBen.id, gym.id]);
    expect(list.items[1]).toMatchObject({
      unread_count: 2,
      last_message: { content: "you there?", sender_id: ben.id },
    });
    expect(list.items[2].unread_count).toBe(0);

    const page1 = (await ana.api.get("/api/v1/chat/rooms?limit=2")).body;
    expect(page1.items).toHaveLength(2);
    const page2 = (await ana.api.get(`/api/v1/chat/rooms?limit=2&before=${page1.next_cursor}`)).body;
    expect(page2.items.map((r: { id: string }) => r.id)).toEqual([gym.id]);
    expect(page2.next_cursor).toBeNull();

    const last = (await messages(ana, withBen.id)).at(-1);
    expect((await ana.api.post(`/api/v1/chat/messages/${last.id}/read`)).body.moved).toBe(true);
    const afterRead = (await ana.api.get("/api/v1/chat/rooms")).body.items.find((r: { id: string }) => r.id === withBen.id);
    expect(afterRead.unread_count).toBe(0);
  });

  it("shows an edit of the last message in the room list, not an edit of an older one, however the changes are batched", async () => {
    const [ana, ben] = await users("ana", "ben");
    const room = (await ana.api.post("/api/v1/chat/rooms", { participant_ids: [ben.id] })).body;
    const lastIn = async () =>
      ((await ana.api.get("/api/v1/chat/rooms")).body.items as Array<{ id: string; last_message: { content: string } | null }>).find(
        (r) => r.id === room.id,
      )?.last_message?.content;
    const first = (await ben.api.post(`/api/v1/chat/messages/${room.id}`, { content: "first" })).body;
    const second = (await ben.api.post(`/api/v1/chat/messages/${room.id}`, { content: "second" })).body;
    expect((await ben.api.put(`/api/v1/chat/messages/${first.id}`, { content: "first, edited" })).status).toBe(200);
    expect(await lastIn()).toBe("second");
    expect((await ben.api.put(`/api/v1/chat/messages/${second.id}`, { content: "second, edited" })).status).toBe(200);
    expect(await lastIn()).toBe("second, edited");
    // A send and its edit written at once from a tab reach the server together and commit together.
    const socket = connectSocket(t.server.wsUrl);
    try {
      const tab = openDocument(socket, `room:${room.id}`, ben.token);
      await tab.synced();
      const { id } = sendMessage(tab.doc, { sender_id: ben.id, content: "third" });
      editMessage(tab.doc, { message_id: id, actor_id: ben.id, content: "third, fixed" });
      editMessage(tab.doc, { message_id: second.id, actor_id: ben.id, content: "second, edited again" });
      await waitFor(async () => (await lastIn()) === "third, fixed", "the room list to show the edited last message");
    } finally {
      socket.destroy();
    }
  });

  it("mutes, archives and unarchives for me only", async () => {
    const [ana, ben] = await users("ana", "ben");
    const room = (await ana.api.post("/api/v1/chat/rooms", { participant_ids: [ben.id] })).body;
    const set = await ana.api.put(`/api/v1/chat/rooms/${room.id}/settings`, {
      is_muted: true,
      is_archived: true,
    });
    expect(set.body).toMatchObject({ is_muted: true, is_archived: true });
    expect((await ana.api.get("/api/v1/chat/rooms?archived=false")).body.items).toHaveLength(0);
    expect((await ana.api.get("/api/v1/chat/rooms?archived=true")).body.items).toHaveLength(1);
    expect((await ben.api.get(`/api/v1/chat/rooms/${room.id}`)).body).toMatchObject({
      is_muted: false,
      is_archived: false,
    });
    const unarchived = await ana.api.put(`/api/v1/chat/rooms/${room.id}/settings`, {
      is_archived: false,
    });
    expect(unarchived.body).toMatchObject({ is_muted: true, is_archived: false });
  });

  it("refuses bad room input with named 4xx codes", async () => {
    const [ana, ben] = await users("ana", "ben");
    const room = await group(ana, [ben]);
    const cases: Array<[Promise<{ status: number; body: any }>, number, string]> = [
      [ana.api.post("/api/v1/chat/rooms", { type: "group", participant_ids: [] }), 400, "invalid_request"],
      [
        ana.api.post("/api/v1/chat/rooms", {
          type: "direct",
          participant_ids: [ben.id, ana.id, "x"],
        }),
        400,
        "invalid_request",
      ],
      [
        ana.api.post("/api/v1/chat/rooms", {
          participant_ids: ["00000000-0000-7000-8000-000000000000"],
        }),
        404,
        "not_found",
      ],
      [ana.api.get("/api/v1/chat/rooms/not-a-uuid"), 400, "invalid_request"],
      [ana.api.get("/api/v1/chat/rooms?before=garbage"), 400, "invalid_request"],
      [ana.api.put(`/api/v1/chat/rooms/${room.id}/members/${ben.id}`, { role: "owner" }), 400, "invalid_request"],
      [ana.api.put(`/api/v1/chat/rooms/${room.id}/members/${ana.id}`, { role: "member" }), 409, "conflict"],
      [ben.api.put(`/api/v1/chat/rooms/${room.id}`, { name: "mine now" }), 403, "not_room_admin"],
    ];
    for (const [pending, status, code] of cases) {
      const res = await pending;
      expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
    }
  });
});
