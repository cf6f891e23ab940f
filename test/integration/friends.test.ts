import { afterEach, describe, expect, it } from "vitest";
import { newId } from "../../shared/ids.ts";
import { ApiClient, type ApiResponse, signUpAll, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { connectSocket, openDocument } from "../helpers/sync-client.ts";
import { useTestServer } from "../helpers/test-server.ts";
import { waitFor } from "../helpers/wait-for.ts";

const REQUESTS = "/api/v1/chat/friends/requests";

const ask = (from: TestUser, to: TestUser, extra: Record<string, unknown> = {}) =>
  from.api.post(REQUESTS, { requestee_id: to.id, ...extra });
const answer = (by: TestUser, requestId: string, status: "accepted" | "declined") => by.api.put(`${REQUESTS}/${requestId}`, { status });
const cancel = (by: TestUser, requestId: string) => by.api.delete(`${REQUESTS}/${requestId}`);
const block = (by: TestUser, whom: TestUser) => by.api.post(`/api/v1/chat/friends/block/${whom.id}`);
const unblock = (by: TestUser, whom: TestUser) => by.api.delete(`/api/v1/chat/friends/block/${whom.id}`);
const ids = (res: ApiResponse) => res.body.items.map((item: { id: string }) => item.id);
const friendsOf = async (user: TestUser) => ids(await user.api.get("/api/v1/chat/friends"));
const received = async (user: TestUser) => ids(await user.api.get(`${REQUESTS}?direction=received`));
const sent = async (user: TestUser) => ids(await user.api.get(`${REQUESTS}?direction=sent`));

function expectRefusal(res: ApiResponse, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
}

function expectRetryAfter(res: ApiResponse, atMostSeconds: number): void {
  const seconds = Number(res.headers.get("retry-after"));
  expect(Number.isInteger(seconds)).toBe(true);
  expect(seconds).toBeGreaterThan(0);
  expect(seconds).toBeLessThanOrEqual(atMostSeconds);
}

/** A asks, B accepts: they are friends. */
async function befriend(a: TestUser, b: TestUser): Promise<void> {
  const request = await ask(a, b);
  expect(request.status).toBe(201);
  expect((await answer(b, request.body.id, "accepted")).status).toBe(200);
}

/** Follow `next_cursor` through a list route `limit` items at a time; the ids in the order served. */
async function walk(user: TestUser, path: string, limit = 2): Promise<string[]> {
  const seen: string[] = [];
  let before: string | null = null;
  for (let page = 0; page < 50; page++) {
    const cursor: string = before === null ? "" : `&before=${encodeURIComponent(before)}`;
    const res = await user.api.get(`${path}${path.includes("?") ? "&" : "?"}limit=${limit}${cursor}`);
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeLessThanOrEqual(limit);
    seen.push(...ids(res));
    before = res.body.next_cursor;
    if (before === null) return seen;
  }
  throw new Error(`${path} never ran out of pages`);
}

describe.each(backendsUnderTest())("friends on %s", (backend) => {
  describe("with the default limits", () => {
    const t = useTestServer(backend);
    const users = <const N extends readonly string[]>(...names: N) => signUpAll(t.server.url, ...names);
    const cleanup: Array<() => void> = [];
    afterEach(() => {
      for (const fn of cleanup.splice(0)) fn();
    });

    it("sends a pending request that both sides list, newest first", async () => {
      const [ana, ben, cai] = await users("ana", "ben", "cai");
      const first = await ask(ana, ben, { message: "Spot me on Monday?" });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({
        requester_id: ana.id,
        requester_name: "ana",
        requestee_id: ben.id,
        requestee_name: "ben",
        status: "pending",
        message: "Spot me on Monday?",
        responded_at: null,
      });
      const second = await ask(cai, ben);
      expect(second.body.message).toBeNull();
      expect(await received(ben)).toEqual([second.body.id, first.body.id]);
      expect(ids(await ben.api.get(REQUESTS))).toEqual([second.body.id, first.body.id]);
      expect(await sent(ana)).toEqual([first.body.id]);
      expect(await received(ana)).toEqual([]);
      expect(await sent(ben)).toEqual([]);
    });

    it("makes friends of both on accept, and of neither on decline", async () => {
      const [ana, ben, cai] = await users("ana", "ben", "cai");
      const toBen = await ask(ana, ben);
      const accepted = await answer(ben, toBen.body.id, "accepted");
      expect(accepted.status).toBe(200);
      expect(accepted.body).toMatchObject({ id: toBen.body.id, status: "accepted", responded_at: expect.any(String) });
      expect(await friendsOf(ana)).toEqual([ben.id]);
      expect(await friendsOf(ben)).toEqual([ana.id]);

      const toCai = await ask(ana, cai);
      const declined = await answer(cai, toCai.body.id, "declined");
      expect(declined.body).toMatchObject({ status: "declined", responded_at: expect.any(String) });
      expect(await friendsOf(cai)).toEqual([]);
      expect(await sent(ana)).toEqual([]);
      expect(await received(cai)).toEqual([]);
    });

    it("lets the requester cancel a pending request, which can then not be answered", async () => {
      const [ana, ben] = await users("ana", "ben");
      const request = await ask(ana, ben);
      expect((await cancel(ana, request.body.id)).status).toBe(204);
      expect(await received(ben)).toEqual([]);
      expect(await sent(ana)).toEqual([]);
      expectRefusal(await answer(ben, request.body.id, "accepted"), 409, "request_not_pending");
      expectRefusal(await cancel(ana, request.body.id), 409, "request_not_pending");
    });

    it("refuses requests to myself, to a friend, to nobody, and a second pending one", async () => {
      const [ana, ben, cai] = await users("ana", "ben", "cai");
      await befriend(ana, ben);
      expectRefusal(await ask(ana, ana), 409, "request_to_self");
      expectRefusal(await ask(ana, ben), 409, "already_friends");
      expectRefusal(await ask(ben, ana), 409, "already_friends");
      expectRefusal(await ana.api.post(REQUESTS, { requestee_id: newId() }), 404, "user_not_found");
      const pending = await ask(ana, cai);
      expectRefusal(await ask(ana, cai), 409, "request_pending");
      expect(await received(cai)).toEqual([pending.body.id]);
    });

    it("refuses answers and cancels out of turn, leaving the request pending", async () => {
      const [ana, ben, eve] = await users("ana", "ben", "eve");
      const request = (await ask(ana, ben)).body;
      expectRefusal(await answer(ana, request.id, "accepted"), 409, "cannot_answer_own_request");
      expectRefusal(await answer(ana, request.id, "declined"), 409, "cannot_answer_own_request");
      expectRefusal(await cancel(ben, request.id), 409, "not_requester");
      expectRefusal(await answer(eve, request.id, "accepted"), 404, "friend_request_not_found");
      expectRefusal(await cancel(eve, request.id), 404, "friend_request_not_found");
      expectRefusal(await answer(ben, newId(), "accepted"), 404, "friend_request_not_found");
      expectRefusal(await cancel(ana, newId()), 404, "friend_request_not_found");
      expect(await received(ben)).toEqual([request.id]);
      expect(await friendsOf(ben)).toEqual([]);

      expect((await answer(ben, request.id, "declined")).status).toBe(200);
      expectRefusal(await answer(ben, request.id, "accepted"), 409, "request_not_pending");
      expectRefusal(await answer(ben, request.id, "declined"), 409, "request_not_pending");
      expectRefusal(await cancel(ana, request.id), 409, "request_not_pending");
      expect(await friendsOf(ben)).toEqual([]);
    });

    it("accepts the other side's pending request when the requests cross", async () => {
      const [ana, ben] = await users("ana", "ben");
      const benAsked = (await ask(ben, ana)).body;
      const crossing = await ask(ana, ben);
      expect(crossing.status).toBe(200);
      expect(crossing.body).toMatchObject({ id: benAsked.id, requester_id: ben.id, status: "accepted" });
      expect(await friendsOf(ana)).toEqual([ben.id]);
      expect(await friendsOf(ben)).toEqual([ana.id]);
      expect([...(await sent(ana)), ...(await sent(ben))]).toEqual([]);
    });

    it("makes exactly one friendship of requests sent at the same moment from both sides", async () => {
      const pairs = await Promise.all(Array.from({ length: 10 }, () => users("ann", "bob")));
      await Promise.all(
        pairs.map(async ([ann, bob]) => {
          const [one, two] = await Promise.all([ask(ann, bob), ask(bob, ann)]);
          expect([one.status, two.status].sort()).toEqual([200, 201]);
          expect(await friendsOf(ann)).toEqual([bob.id]);
          expect(await friendsOf(bob)).toEqual([ann.id]);
          expect([...(await sent(ann)), ...(await sent(bob))]).toEqual([]);
        }),
      );
    });

    it("refuses asking again within the cooldown after a decline, but the decliner may ask", async () => {
      const [ana, ben] = await users("ana", "ben");
      await answer(ben, (await ask(ana, ben)).body.id, "declined");
      const again = await ask(ana, ben);
      expectRefusal(again, 409, "request_cooldown");
      expectRetryAfter(again, 72 * 3600);
      expect(await received(ben)).toEqual([]);
      expect((await ask(ben, ana)).status).toBe(201);
    });

    it("refuses requests that the requestee's privacy setting refuses", async () => {
      const [ana, mia, cai, dan, eve] = await users("ana", "mia", "cai", "dan", "eve");
      await befriend(ana, mia);
      await befriend(mia, cai);
      await befriend(mia, dan);
      const fof = await cai.api.put("/api/v1/users/me", { friend_requests_from: "friends_of_friends" });
      expect(fof.body.friend_requests_from).toBe("friends_of_friends");
      expectRefusal(await ask(eve, cai), 403, "requests_not_accepted");
      expect((await ask(ana, cai)).status).toBe(201);

      await dan.api.put("/api/v1/users/me", { friend_requests_from: "nobody" });
      expectRefusal(await ask(ana, dan), 403, "requests_not_accepted");
      expectRefusal(await ask(eve, dan), 403, "requests_not_accepted");
      expect(await received(dan)).toEqual([]);
    });

    it("lists friends by username with presence and since when, and unfriends", async () => {
      const [ana, zoe, ben] = await users("ana", "zoe", "ben");
      await befriend(ana, zoe);
      await befriend(ben, ana);
      const list = await ana.api.get("/api/v1/chat/friends");
      expect(list.body.next_cursor).toBeNull();
      expect(list.body.items).toEqual([
        {
          id: ben.id,
          username: ben.username,
          display_name: "ben",
          avatar_url: null,
          is_online: false,
          last_seen: null,
          friends_since: expect.any(String),
        },
        {
          id: zoe.id,
          username: zoe.username,
          display_name: "zoe",
          avatar_url: null,
          is_online: false,
          last_seen: null,
          friends_since: expect.any(String),
        },
      ]);
      expect(Math.abs(Date.parse(list.body.items[0].friends_since) - Date.now())).toBeLessThan(60_000);

      expect((await ana.api.delete(`/api/v1/chat/friends/${zoe.id}`)).status).toBe(204);
      expect(await friendsOf(ana)).toEqual([ben.id]);
      expect(await friendsOf(zoe)).toEqual([]);
      expectRefusal(await zoe.api.delete(`/api/v1/chat/friends/${ana.id}`), 404, "not_friends");
      expect((await ask(zoe, ana)).status).toBe(201);
    });

    it("shows a friend online while their WebSocket is open, and last seen after it closes", async () => {
      const [ana, ben] = await users("ana", "ben");
      await befriend(ana, ben);
      const room = (await ben.api.post("/api/v1/chat/rooms", { participant_ids: [ana.id] })).body;
      const socket = connectSocket(t.server.wsUrl);
      cleanup.push(() => socket.destroy());
      const doc = openDocument(socket, `room:${room.id}`, ben.token);
      await doc.synced();
      const benInList = async () => (await ana.api.get("/api/v1/chat/friends")).body.items[0];
      await waitFor(async () => (await benInList()).is_online === true, "ben to be online");
      expect((await ana.api.get(`/api/v1/users/${ben.id}/profile`)).body.is_online).toBe(true);

      doc.destroy();
      socket.destroy();
      const after = await waitFor(async () => {
        const friend = await benInList();
        return friend.is_online === false && friend;
      }, "ben to be offline");
      expect(Math.abs(Date.parse(after.last_seen) - Date.now())).toBeLessThan(60_000);
    });

    it("blocking ends the friendship and makes our direct room read-only for both until unblocked", async () => {
      const [ana, ben] = await users("ana", "ben");
      await befriend(ana, ben);
      const room = (await ana.api.post("/api/v1/chat/rooms", { participant_ids: [ben.id] })).body;
      expect((await ben.api.post(`/api/v1/chat/messages/${room.id}`, { content: "hey" })).status).toBe(201);

      expect((await block(ana, ben)).status).toBe(204);
      expect(await friendsOf(ana)).toEqual([]);
      expect(await friendsOf(ben)).toEqual([]);
      expectRefusal(await ben.api.post(`/api/v1/chat/messages/${room.id}`, { content: "why?" }), 403, "blocked");
      expectRefusal(await ana.api.post(`/api/v1/chat/messages/${room.id}`, { content: "bye" }), 403, "blocked");
      const readable = await ben.api.get(`/api/v1/chat/messages/${room.id}`);
      expect(readable.body.items.map((m: { content: string }) => m.content)).toContain("hey");

      expect((await unblock(ana, ben)).status).toBe(204);
      expect((await ben.api.post(`/api/v1/chat/messages/${room.id}`, { content: "thanks" })).status).toBe(201);
      expect((await ana.api.post(`/api/v1/chat/messages/${room.id}`, { content: "np" })).status).toBe(201);
      expect(await friendsOf(ana)).toEqual([]);
    });

    it("blocking cancels pending requests in both directions", async () => {
      const [ana, ben, cai] = await users("ana", "ben", "cai");
      const toBen = (await ask(ana, ben)).body;
      const fromCai = (await ask(cai, ana)).body;
      await block(ana, ben);
      await block(ana, cai);
      expect(await sent(ana)).toEqual([]);
      expect(await received(ana)).toEqual([]);
      expect(await received(ben)).toEqual([]);
      expect(await sent(cai)).toEqual([]);
      expectRefusal(await answer(ben, toBen.id, "accepted"), 409, "request_not_pending");
      expectRefusal(await answer(ana, fromCai.id, "accepted"), 409, "request_not_pending");
    });

    it("hides a blocker from the blocked user and refuses requests and new direct rooms both ways", async () => {
      const [ana, ben] = await users("ana", "ben");
      await block(ana, ben);
      const search = (user: TestUser, other: TestUser) => user.api.get(`/api/v1/users/search?q=${other.username}`);
      expect((await search(ben, ana)).body.items).toEqual([]);
      expect((await search(ana, ben)).body.items).toEqual([]);
      expectRefusal(await ben.api.get(`/api/v1/users/${ana.id}/profile`), 404, "user_not_found");
      expect((await ana.api.get(`/api/v1/users/${ben.id}/profile`)).body.relationship).toBe("blocked_by_me");
      expectRefusal(await ask(ben, ana), 403, "requests_not_accepted");
      expectRefusal(await ask(ana, ben), 403, "requests_not_accepted");
      expectRefusal(await ben.api.post("/api/v1/chat/rooms", { participant_ids: [ana.id] }), 403, "blocked");
      expectRefusal(await ana.api.post("/api/v1/chat/rooms", { participant_ids: [ben.id] }), 403, "blocked");

      await unblock(ana, ben);
      expect(ids(await search(ben, ana))).toEqual([ana.id]);
      expect((await ask(ben, ana)).status).toBe(201);
    });

    it("lists whom I blocked, newest first; blocking is idempotent, unblocking the unblocked is refused", async () => {
      const [ana, ben, cai] = await users("ana", "ben", "cai");
      expect((await block(ana, ben)).status).toBe(204);
      expect((await block(ana, cai)).status).toBe(204);
      expect((await block(ana, ben)).status).toBe(204);
      const list = await ana.api.get("/api/v1/chat/friends/blocked");
      expect(list.body).toEqual({
        items: [
          { id: cai.id, username: cai.username, display_name: "cai", avatar_url: null, blocked_at: expect.any(String) },
          { id: ben.id, username: ben.username, display_name: "ben", avatar_url: null, blocked_at: expect.any(String) },
        ],
        next_cursor: null,
      });
      expect((await ben.api.get("/api/v1/chat/friends/blocked")).body.items).toEqual([]);
      expectRefusal(await unblock(ben, ana), 404, "not_blocked");
      expectRefusal(await block(ana, ana), 409, "cannot_block_self");
      expect((await unblock(ana, ben)).status).toBe(204);
      expectRefusal(await unblock(ana, ben), 404, "not_blocked");
      expect(ids(await ana.api.get("/api/v1/chat/friends/blocked"))).toEqual([cai.id]);
    });

    it("suggests my friends' friends by mutual count, leaving out friends, requests, blocks and me", async () => {
      const [ana, ben, cai, dan] = await users("ana", "ben", "cai", "dan");
      const [xia, yan, wes, zed, pam, quin, rex, sue] = await users("xia", "yan", "wes", "zed", "pam", "quin", "rex", "sue");
      for (const friend of [ben, cai, dan]) await befriend(ana, friend);
      await befriend(ben, cai);
      for (const friend of [ben, cai, dan]) await befriend(xia, friend);
      for (const friend of [ben, cai]) await befriend(yan, friend);
      await befriend(wes, cai);
      for (const other of [zed, pam, quin, rex, sue]) await befriend(other, ben);
      await ask(ana, pam);
      await ask(quin, ana);
      await block(ana, rex);
      await block(sue, ana);

      const suggestions = await ana.api.get("/api/v1/chat/friends/suggestions");
      expect(suggestions.body.next_cursor).toBeNull();
      expect(suggestions.body.items.map((s: { id: string; mutual_count: number }) => [s.id, s.mutual_count])).toEqual([
        [xia.id, 3],
        [yan.id, 2],
        [wes.id, 1],
        [zed.id, 1],
      ]);
      expect(suggestions.body.items[0]).toMatchObject({ username: xia.username, display_name: "xia", avatar_url: null });
      expect(ids(await ana.api.get("/api/v1/chat/friends/suggestions?limit=2"))).toEqual([xia.id, yan.id]);
    });

    it("pages every list route with limit and before, serving each item once", async () => {
      const [me, ava, bea, cal] = await users("me", "ava", "bea", "cal");
      const [dov, eli, fay, gus, hal, ivy, jon, kim, lou] = await users("dov", "eli", "fay", "gus", "hal", "ivy", "jon", "kim", "lou");
      await befriend(me, ava);
      await befriend(bea, me);
      await befriend(me, cal);
      const outbound: string[] = [];
      for (const to of [dov, eli, fay]) outbound.push((await ask(me, to)).body.id);
      const inbound: string[] = [];
      for (const from of [gus, hal, ivy]) inbound.push((await ask(from, me)).body.id);
      for (const whom of [jon, kim, lou]) await block(me, whom);

      expect(await walk(me, "/api/v1/chat/friends")).toEqual([ava.id, bea.id, cal.id]);
      expect(await walk(me, `${REQUESTS}?direction=sent`)).toEqual(outbound.toReversed());
      expect(await walk(me, `${REQUESTS}?direction=received`, 1)).toEqual(inbound.toReversed());
      expect(await walk(me, "/api/v1/chat/friends/blocked")).toEqual([lou.id, kim.id, jon.id]);
    });

    it("refuses malformed input with 400 invalid_request", async () => {
      const [ana, ben] = await users("ana", "ben");
      const request = (await ask(ana, ben)).body;
      const cases = [
        ana.api.post(REQUESTS, { requestee_id: "not-a-uuid" }),
        ana.api.post(REQUESTS, { requestee_id: ben.id, nickname: "benny" }),
        ana.api.post(REQUESTS, { requestee_id: ben.id, message: "x".repeat(501) }),
        ana.api.get(`${REQUESTS}?direction=sideways`),
        ben.api.put(`${REQUESTS}/${request.id}`, { status: "maybe" }),
        ben.api.put(`${REQUESTS}/${request.id}`, { status: "pending" }),
        ben.api.put(`${REQUESTS}/not-a-uuid`, { status: "accepted" }),
        ana.api.delete(`${REQUESTS}/not-a-uuid`),
        ana.api.delete("/api/v1/chat/friends/not-a-uuid"),
        ana.api.post("/api/v1/chat/friends/block/not-a-uuid"),
        ana.api.delete("/api/v1/chat/friends/block/not-a-uuid"),
        ana.api.get("/api/v1/chat/friends?limit=0"),
        ana.api.get("/api/v1/chat/friends/blocked?limit=1000"),
        ana.api.get("/api/v1/chat/friends/suggestions?limit=51"),
        ana.api.put("/api/v1/users/me", { friend_requests_from: "strangers" }),
      ];
      for (const res of await Promise.all(cases)) expectRefusal(res, 400, "invalid_request");
      expect(await received(ben)).toEqual([request.id]);
    });

    it("refuses every route without a session", async () => {
      const [ana, ben] = await users("ana", "ben");
      const request = (await ask(ana, ben)).body;
      const anonymous = new ApiClient(t.server.url);
      const cases = [
        anonymous.get("/api/v1/chat/friends"),
        anonymous.delete(`/api/v1/chat/friends/${ben.id}`),
        anonymous.get("/api/v1/chat/friends/suggestions"),
        anonymous.get("/api/v1/chat/friends/blocked"),
        anonymous.get(REQUESTS),
        anonymous.post(REQUESTS, { requestee_id: ben.id }),
        anonymous.put(`${REQUESTS}/${request.id}`, { status: "accepted" }),
        anonymous.delete(`${REQUESTS}/${request.id}`),
        anonymous.post(`/api/v1/chat/friends/block/${ben.id}`),
        anonymous.delete(`/api/v1/chat/friends/block/${ben.id}`),
      ];
      for (const res of await Promise.all(cases)) expectRefusal(res, 401, "unauthenticated");
      expect(await received(ben)).toEqual([request.id]);
    });
  });

  describe("with no decline cooldown", () => {
    const t = useTestServer(backend, { FRIEND_REQUEST_COOLDOWN_HOURS: "0" });

    it("lets a declined requester ask again at once", async () => {
      const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
      await answer(ben, (await ask(ana, ben)).body.id, "declined");
      const again = await ask(ana, ben);
      expect(again.status).toBe(201);
      expect(await received(ben)).toEqual([again.body.id]);
    });
  });

  describe("with three friend requests an hour", () => {
    const t = useTestServer(backend, { FRIEND_REQUESTS_PER_HOUR: "3" });

    it("refuses the fourth send in an hour with 429 and Retry-After", async () => {
      const [ana, ben, cai, dan, eve] = await signUpAll(t.server.url, "ana", "ben", "cai", "dan", "eve");
      for (const other of [ben, cai, dan]) expect((await ask(ana, other)).status).toBe(201);
      const fourth = await ask(ana, eve);
      expectRefusal(fourth, 429, "rate_limited");
      expectRetryAfter(fourth, 3600);
      expect(await received(eve)).toEqual([]);
      expect((await ask(eve, ana)).status).toBe(201);
    });
  });
});
