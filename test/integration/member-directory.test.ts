import { describe, expect, it } from "vitest";
import { signUpAll } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { useTestServer } from "../helpers/test-server.ts";

describe.each(backendsUnderTest())("a room's members, past ones included, on %s", (backend) => {
  const t = useTestServer(backend);

  it("names everyone who was in the group, says who removed whom, and shows a past member nobody who came after", async () => {
    const [ana, ben, cai, dan, eve] = await signUpAll(t.server.url, "ana", "ben", "cai", "dan", "eve");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { type: "group", name: "Hills", participant_ids: [ben.id, cai.id] })).body
      .id as string;
    expect((await ana.api.delete(`/api/v1/chat/rooms/${roomId}/members/${cai.id}`)).status).toBe(204);
    expect((await ben.api.delete(`/api/v1/chat/rooms/${roomId}`)).status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await ana.api.post(`/api/v1/chat/rooms/${roomId}/members`, { user_ids: [dan.id] });

    const directory = await ana.api.get(`/api/v1/chat/rooms/${roomId}/members`);
    expect(directory.status).toBe(200);
    expect(directory.body.next_cursor).toBeNull();
    const byId = new Map(directory.body.items.map((m: { id: string }) => [m.id, m]));
    expect(byId.get(ana.id)).toMatchObject({ username: ana.username, role: "admin", left_at: null, removed_by: null });
    expect(byId.get(dan.id)).toMatchObject({ left_at: null, removed_by: null });
    expect(byId.get(ben.id)).toMatchObject({ username: ben.username, left_at: expect.any(String), removed_by: null });
    expect(byId.get(cai.id)).toMatchObject({ username: cai.username, left_at: expect.any(String), removed_by: ana.id });
    // Current members first.
    expect(
      directory.body.items
        .slice(0, 2)
        .map((m: { id: string }) => m.id)
        .sort(),
    ).toEqual([ana.id, dan.id].sort());

    const removed = await cai.api.get(`/api/v1/chat/rooms/${roomId}/membership`);
    expect(removed.body).toMatchObject({
      room_id: roomId,
      room_type: "group",
      room_name: "Hills",
      status: "removed",
      left_at: expect.any(String),
      removed_by: { id: ana.id, username: ana.username, display_name: "ana" },
    });
    expect((await ben.api.get(`/api/v1/chat/rooms/${roomId}/membership`)).body).toMatchObject({ status: "left", removed_by: null });
    expect((await ana.api.get(`/api/v1/chat/rooms/${roomId}/membership`)).body).toMatchObject({ status: "member", left_at: null });
    // Cai, removed, still sees who was there with him, but not Dan, who came later.
    const caisView = (await cai.api.get(`/api/v1/chat/rooms/${roomId}/members`)).body.items.map((m: { id: string }) => m.id);
    expect(caisView.sort()).toEqual([ana.id, ben.id, cai.id].sort());
    // Someone never in the room learns nothing.
    expect((await eve.api.get(`/api/v1/chat/rooms/${roomId}/members`)).status).toBe(404);
    expect((await eve.api.get(`/api/v1/chat/rooms/${roomId}/membership`)).status).toBe(404);

    // Added back, Cai is a member again, removed by nobody.
    await ana.api.post(`/api/v1/chat/rooms/${roomId}/members`, { user_ids: [cai.id] });
    expect((await cai.api.get(`/api/v1/chat/rooms/${roomId}/membership`)).body).toMatchObject({ status: "member", removed_by: null });
  });
});
