import { v4 as uuidv4 } from "uuid";
import { describe, expect, it } from "vitest";
import { newId } from "../../shared/ids.ts";
import { ApiClient, signUpAll, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { useTestServer } from "../helpers/test-server.ts";

describe.each(backendsUnderTest())("messages over REST on %s", (backend) => {
  const t = useTestServer(backend);
  const groupOf = async (admin: TestUser, members: TestUser[]) =>
    (await admin.api.post("/api/v1/chat/rooms", { type: "group", name: "Runs", participant_ids: members.map((m) => m.id) })).body
      .id as string;

  it("stores a retried send once: 201, then 200 with the same message", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const roomId = await groupOf(ana, [ben]);
    const id = newId();
    const first = await ana.api.post(`/api/v1/chat/messages/${roomId}`, { id, content: "5k at 7?" });
    const retry = await ana.api.post(`/api/v1/chat/messages/${roomId}`, { id, content: "5k at 7?" });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    const items = (await ben.api.get(`/api/v1/chat/messages/${roomId}`)).body.items.filter((m: { id: string }) => m.id === id);
    expect(items).toHaveLength(1);
  });

  it("edits only my own messages; admins delete any, members only their own", async () => {
    const [ana, ben, cai] = await signUpAll(t.server.url, "ana", "ben", "cai");
    const roomId = await groupOf(ana, [ben, cai]);
    const bens = (await ben.api.post(`/api/v1/chat/messages/${roomId}`, { content: "tempo run" })).body;
    const edit = await cai.api.put(`/api/v1/chat/messages/${bens.id}`, { content: "hijacked" });
    expect([edit.status, edit.body.error.code]).toEqual([403, "not_message_owner"]);
    const own = await ben.api.put(`/api/v1/chat/messages/${bens.id}`, { content: "tempo run, 8 km" });
    expect(own.body).toMatchObject({ content: "tempo run, 8 km", edited_at: expect.any(String) });
    const byMember = await cai.api.delete(`/api/v1/chat/messages/${bens.id}`);
    expect([byMember.status, byMember.body.error.code]).toEqual([403, "not_message_owner"]);
    const adminEdit = await ana.api.put(`/api/v1/chat/messages/${bens.id}`, { content: "admins do not edit" });
    expect(adminEdit.status).toBe(403);
    expect((await ana.api.delete(`/api/v1/chat/messages/${bens.id}`)).status).toBe(204);
    const gone = (await ben.api.get(`/api/v1/chat/messages/${roomId}`)).body.items.find((m: { id: string }) => m.id === bens.id);
    expect(gone).toMatchObject({ is_deleted: true, content: null });
  });

  it("replies, reacts, unreacts and reports who read a message", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const roomId = await groupOf(ana, [ben]);
    const question = (await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "Rest day?" })).body;
    const answer = await ben.api.post(`/api/v1/chat/messages/${roomId}`, { content: "Yes", reply_to_id: question.id });
    expect(answer.body.reply_to_id).toBe(question.id);
    const reacted = await ben.api.post(`/api/v1/chat/messages/${question.id}/reactions`, { emoji: "👍" });
    expect(reacted.body.reactions).toEqual({ "👍": [ben.id] });
    await ben.api.post(`/api/v1/chat/messages/${question.id}/reactions`, { emoji: "👍" });
    const unreacted = await ben.api.delete(`/api/v1/chat/messages/${question.id}/reactions/${encodeURIComponent("👍")}`);
    expect(unreacted.body.reactions).toEqual({});
    expect((await ben.api.post(`/api/v1/chat/messages/${question.id}/read`)).body.moved).toBe(true);
    expect((await ben.api.post(`/api/v1/chat/messages/${question.id}/read`)).body.moved).toBe(false);
    const items = (await ana.api.get(`/api/v1/chat/messages/${roomId}`)).body.items;
    expect(items.find((m: { id: string }) => m.id === question.id).read_by.map((r: { user_id: string }) => r.user_id)).toEqual([ben.id]);
  });

  it("pages backwards through history with the list envelope", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { participant_ids: [ben.id] })).body.id;
    for (let i = 0; i < 7; i++) await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: `lap ${i}` });
    const seen: string[] = [];
    let before: string | null = null;
    let pages = 0;
    do {
      const page: { body: { items: Array<{ content: string }>; next_cursor: string | null } } = await ben.api.get(
        `/api/v1/chat/messages/${roomId}?limit=3${before ? `&before=${before}` : ""}`,
      );
      seen.unshift(...page.body.items.map((m) => m.content));
      before = page.body.next_cursor;
      pages++;
    } while (before);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `lap ${i}`));
  });

  it("refuses bad message input, strangers and blocked conversations with named 4xx codes", async () => {
    const [ana, ben, eve] = await signUpAll(t.server.url, "ana", "ben", "eve");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { participant_ids: [ben.id] })).body.id;
    const cases: Array<[Promise<{ status: number; body: any }>, number, string]> = [
      [ana.api.post(`/api/v1/chat/messages/${roomId}`, { id: uuidv4(), content: "v4 id" }), 400, "invalid_request"],
      [ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "" }), 400, "invalid_message"],
      [ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "x".repeat(4001) }), 400, "invalid_request"],
      [ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "hi", sender_id: eve.id }), 400, "invalid_request"],
      [ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "re", reply_to_id: newId() }), 400, "reply_target_missing"],
      [ana.api.post(`/api/v1/chat/messages/${roomId}`, { message_type: "image", content: "no media" }), 400, "invalid_message"],
      [eve.api.post(`/api/v1/chat/messages/${roomId}`, { content: "let me in" }), 403, "not_a_member"],
      [eve.api.get(`/api/v1/chat/messages/${roomId}`), 403, "not_a_member"],
      [ana.api.put(`/api/v1/chat/messages/${newId()}`, { content: "ghost" }), 404, "message_not_found"],
      [ana.api.get(`/api/v1/chat/messages/${roomId}?before=abc`), 400, "invalid_request"],
      [new ApiClient(t.server.url).get(`/api/v1/chat/messages/${roomId}`), 401, "unauthenticated"],
    ];
    for (const [pending, status, code] of cases) {
      const res = await pending;
      expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
    }
    await t.server.context.db.query("INSERT INTO user_blocks (blocker_id, blocked_id) VALUES ($1, $2)", [ben.id, ana.id]);
    const blocked = await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "still there?" });
    expect([blocked.status, blocked.body.error.code]).toEqual([403, "blocked"]);
    expect((await ana.api.get(`/api/v1/chat/messages/${roomId}`)).status).toBe(200);
  });

  it("serves an OpenAPI description generated from the same schemas", async () => {
    const res = await new ApiClient(t.server.url).get("/api/v1/openapi.json");
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe("3.1.0");
    const send = res.body.paths["/api/v1/chat/messages/{room_id}"].post;
    expect(Object.keys(send.requestBody.content["application/json"].schema.properties)).toEqual(
      expect.arrayContaining(["id", "content", "message_type", "media_urls", "reply_to_id"]),
    );
    expect(res.body.paths["/api/v1/auth/login"].post.security).toEqual([]);
    // Query parameters come from the same schemas the routes parse the query with.
    const query = (path: string) =>
      Object.fromEntries(
        (res.body.paths[path].get.parameters as Array<{ name: string; in: string; required: boolean }>)
          .filter((p) => p.in === "query")
          .map((p) => [p.name, p.required]),
      );
    expect(query("/api/v1/users/search")).toEqual({ q: true, before: false, limit: false });
    expect(query("/api/v1/chat/rooms")).toEqual({ before: false, limit: false, archived: false });
    expect(query("/api/v1/chat/messages/{room_id}")).toEqual({ before: false, limit: false });
    const roomId = res.body.paths["/api/v1/chat/messages/{room_id}"].get.parameters.find((p: { name: string }) => p.name === "room_id");
    expect(roomId).toMatchObject({ in: "path", required: true, schema: { type: "string", format: "uuid" } });
  });

  it("describes every API route the server serves", async () => {
    const described = (await new ApiClient(t.server.url).get("/api/v1/openapi.json")).body.paths;
    const served = t.server.routes.filter((r) => r.includes(" /api/v1/") && !r.startsWith("HEAD") && !/health|openapi/.test(r));
    expect(served.length).toBeGreaterThan(30);
    const missing = served.filter((r) => {
      const [method = "", path = ""] = r.split(" ");
      return !described[path]?.[method.toLowerCase()];
    });
    expect(missing).toEqual([]);
  });
});
