import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { newId } from "../../shared/ids.ts";
import { ApiClient, type ApiResponse, signUp, signUpAll, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { useTestServer } from "../helpers/test-server.ts";

const ids = (res: ApiResponse) => res.body.items.map((item: { id: string }) => item.id);
/** A name no other test's user starts with, so a prefix search sees only this test's users. */
const uniquePrefix = () => `t${randomBytes(4).toString("hex")}`;

function expectRefusal(res: ApiResponse, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
}

async function befriend(a: TestUser, b: TestUser): Promise<void> {
  const request = await a.api.post("/api/v1/chat/friends/requests", { requestee_id: b.id });
  expect(request.status).toBe(201);
  expect((await b.api.put(`/api/v1/chat/friends/requests/${request.body.id}`, { status: "accepted" })).status).toBe(200);
}

describe.each(backendsUnderTest())("users on %s", (backend) => {
  const t = useTestServer(backend);
  const users = <const N extends readonly string[]>(...names: N) => signUpAll(t.server.url, ...names);
  const search = (user: TestUser, query: string) => user.api.get(`/api/v1/users/search?q=${encodeURIComponent(query)}`);
  const profile = (user: TestUser, of: { id: string }) => user.api.get(`/api/v1/users/${of.id}/profile`);

  it("edits my profile, leaves omitted fields alone and clears fields set to null", async () => {
    const [ana] = await users("ana");
    const edited = await ana.api.put("/api/v1/users/me", {
      display_name: "Ana Lima",
      avatar_url: "https://example.com/ana.png",
      bio: "Deadlifts and dogs",
      friend_requests_from: "friends_of_friends",
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({
      id: ana.id,
      username: ana.username,
      display_name: "Ana Lima",
      avatar_url: "https://example.com/ana.png",
      bio: "Deadlifts and dogs",
      friend_requests_from: "friends_of_friends",
      is_server_admin: false,
    });
    const bioOnly = await ana.api.put("/api/v1/users/me", { bio: "Just dogs" });
    expect(bioOnly.body).toMatchObject({ display_name: "Ana Lima", avatar_url: "https://example.com/ana.png", bio: "Just dogs" });
    const cleared = await ana.api.put("/api/v1/users/me", { display_name: null, avatar_url: null, bio: null });
    expect(cleared.body).toMatchObject({ display_name: null, avatar_url: null, bio: null, friend_requests_from: "friends_of_friends" });
    expect((await ana.api.get("/api/v1/users/me")).body).toEqual(cleared.body);
  });

  it("refuses an invalid avatar URL, a bio over 500 characters and unknown fields, changing nothing", async () => {
    const [ana] = await users("ana");
    await ana.api.put("/api/v1/users/me", { bio: "x".repeat(500), avatar_url: "http://example.com/a.png" });
    const before = (await ana.api.get("/api/v1/users/me")).body;
    expect(before.bio).toHaveLength(500);
    const refused = [
      { avatar_url: "ftp://example.com/a.png" },
      { avatar_url: "javascript:alert(1)" },
      { avatar_url: "not a url" },
      { bio: "x".repeat(501) },
      { display_name: "" },
      { username: "someone_else" },
      { friend_requests_from: "strangers" },
    ];
    for (const body of refused) expectRefusal(await ana.api.put("/api/v1/users/me", body), 400, "invalid_request");
    expect((await ana.api.get("/api/v1/users/me")).body).toEqual(before);
  });

  it("finds users by a case-insensitive prefix of username or display name, ordered by username, never me", async () => {
    const prefix = uniquePrefix();
    const [me, amy, bob] = await signUpAll(t.server.url, `${prefix}me`, `${prefix}amy`, `${prefix}bob`);
    const star = uniquePrefix();
    await bob.api.put("/api/v1/users/me", { display_name: `${star.toUpperCase()} Bob` });

    expect(ids(await search(me, prefix.toUpperCase()))).toEqual([amy.id, bob.id]);
    expect(ids(await search(me, `${prefix}A`))).toEqual([amy.id]);
    expect(ids(await search(me, star))).toEqual([bob.id]);
    expect(ids(await search(me, prefix.slice(1)))).toEqual([]);
    const hit = (await search(me, amy.username)).body;
    expect(hit).toEqual({
      items: [{ id: amy.id, username: amy.username, display_name: `${prefix}amy`, avatar_url: null, relationship: "none" }],
      next_cursor: null,
    });
  });

  it("tells in each hit how I stand with that user, and leaves out whoever blocked me or I blocked", async () => {
    const p = uniquePrefix();
    const [me, fay, gus, hal, ivy, jon, kim] = await signUpAll(
      t.server.url,
      `${p}me`,
      `${p}fay`,
      `${p}gus`,
      `${p}hal`,
      `${p}ivy`,
      `${p}jon`,
      `${p}kim`,
    );
    await befriend(me, fay);
    await me.api.post("/api/v1/chat/friends/requests", { requestee_id: gus.id });
    await hal.api.post("/api/v1/chat/friends/requests", { requestee_id: me.id });
    await me.api.post(`/api/v1/chat/friends/block/${jon.id}`);
    await kim.api.post(`/api/v1/chat/friends/block/${me.id}`);

    const hits = (await search(me, p)).body.items.map((h: { id: string; relationship: string }) => [h.id, h.relationship]);
    expect(hits).toEqual([
      [fay.id, "friends"],
      [gus.id, "request_sent"],
      [hal.id, "request_received"],
      [ivy.id, "none"],
    ]);
    expect(ids(await search(jon, p))).not.toContain(me.id);
    expect(ids(await search(kim, p))).not.toContain(me.id);
    expect(ids(await search(ivy, p))).toEqual([fay.id, gus.id, hal.id, jon.id, kim.id, me.id]);
  });

  it("pages search results with limit and before, each user once", async () => {
    const prefix = uniquePrefix();
    const found = await Promise.all(["a", "b", "c", "d", "e"].map((n) => signUp(t.server.url, `${prefix}${n}`)));
    const [me] = await users("me");
    const seen: string[] = [];
    let before: string | null = null;
    do {
      const cursor: string = before ? `&before=${encodeURIComponent(before)}` : "";
      const page = await me.api.get(`/api/v1/users/search?q=${prefix}&limit=2${cursor}`);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...ids(page));
      before = page.body.next_cursor;
    } while (before !== null && seen.length <= found.length);
    expect(seen).toEqual(found.map((u) => u.id));
  });

  it("matches % and _ in the query literally", async () => {
    const prefix = uniquePrefix();
    const [me, percent, letterAfterPercent, underscore, letterAfterUnderscore] = await users("me", "pct", "pcx", "und", "unx");
    await percent.api.put("/api/v1/users/me", { display_name: `${prefix}%off` });
    await letterAfterPercent.api.put("/api/v1/users/me", { display_name: `${prefix}zoff` });
    await underscore.api.put("/api/v1/users/me", { display_name: `${prefix}_1` });
    await letterAfterUnderscore.api.put("/api/v1/users/me", { display_name: `${prefix}y1` });
    expect(ids(await search(me, `${prefix}%`))).toEqual([percent.id]);
    expect(ids(await search(me, `${prefix}_`))).toEqual([underscore.id]);
    expect(ids(await search(me, prefix))).toEqual([percent.id, letterAfterPercent.id, underscore.id, letterAfterUnderscore.id]);
  });

  it("refuses an empty query and bad paging with 400 invalid_request", async () => {
    const [me] = await users("me");
    for (const query of ["q=", "q=%20%20", "", "q=a&limit=51", "q=a&limit=0", "q=a&sort=name"]) {
      expectRefusal(await me.api.get(`/api/v1/users/search?${query}`), 400, "invalid_request");
    }
  });

  it("shows a stranger's profile without presence, with mutual friends counted", async () => {
    const [ana, cai, mia, max] = await users("ana", "cai", "mia", "max");
    await cai.api.put("/api/v1/users/me", { bio: "Runs at dawn" });
    for (const mutual of [mia, max]) {
      await befriend(ana, mutual);
      await befriend(mutual, cai);
    }
    const seen = await profile(ana, cai);
    expect(seen.status).toBe(200);
    expect(seen.body).toEqual({
      id: cai.id,
      username: cai.username,
      display_name: "cai",
      avatar_url: null,
      bio: "Runs at dawn",
      created_at: expect.any(String),
      relationship: "none",
      mutual_count: 2,
      is_online: null,
      last_seen: null,
      friends_since: null,
    });
  });

  it("shows a friend's profile with presence and since when we are friends", async () => {
    const [ana, ben, cai] = await users("ana", "ben", "cai");
    await befriend(ana, ben);
    const seen = (await profile(ana, ben)).body;
    expect(seen).toMatchObject({ relationship: "friends", mutual_count: 0, is_online: false, last_seen: null });
    expect(Math.abs(Date.parse(seen.friends_since) - Date.now())).toBeLessThan(60_000);
    await cai.api.post("/api/v1/chat/friends/requests", { requestee_id: ana.id });
    expect((await profile(ana, cai)).body.relationship).toBe("request_received");
    expect((await profile(cai, ana)).body).toMatchObject({ relationship: "request_sent", is_online: null, friends_since: null });
    expect((await profile(ana, ana)).body.relationship).toBe("self");
  });

  it("answers 404 user_not_found for an unknown user, 400 for a bad id and 401 without a session", async () => {
    const [ana] = await users("ana");
    expectRefusal(await profile(ana, { id: newId() }), 404, "user_not_found");
    expectRefusal(await ana.api.get("/api/v1/users/not-a-uuid/profile"), 400, "invalid_request");
    const anonymous = new ApiClient(t.server.url);
    for (const res of await Promise.all([
      anonymous.put("/api/v1/users/me", { bio: "hi" }),
      anonymous.get("/api/v1/users/search?q=ana"),
      anonymous.get(`/api/v1/users/${ana.id}/profile`),
    ])) {
      expectRefusal(res, 401, "unauthenticated");
    }
  });
});
