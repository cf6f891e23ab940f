import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../shared/ids.ts";
import { sendMessage } from "../../shared/room-doc/index.ts";
import { ApiClient, signUpAll, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest, TEST_REDIS_URL } from "../helpers/backends.ts";
import { type PushRecorder, startPushRecorder } from "../helpers/push-recorder.ts";
import { type FakeSubscription, fakeSubscription } from "../helpers/push-subscriber.ts";
import { connectSocket, openDocument } from "../helpers/sync-client.ts";
import { startTestServer, useTestServer } from "../helpers/test-server.ts";
import { waitFor } from "../helpers/wait-for.ts";

const SUBSCRIPTIONS = "/api/v1/push/subscriptions";
const PREFERENCES = "/api/v1/push/preferences";

// Short enough for a quick suite, long enough that three sends in a row land in one window.
const COLLAPSE_SECONDS = "1.5";

describe.each(backendsUnderTest())("push notifications on %s", (backend) => {
  let recorder: PushRecorder;
  beforeAll(async () => {
    recorder = await startPushRecorder();
  });
  afterAll(() => recorder.close());
  const t = useTestServer(backend, {
    PUSH_ALLOW_INSECURE_ENDPOINTS: "true",
    PUSH_COLLAPSE_SECONDS: COLLAPSE_SECONDS,
    PUSH_DISPATCH_INTERVAL_MS: "50",
  });
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const fn of cleanup.splice(0)) fn();
  });

  const users = <const N extends readonly string[]>(...names: N) => signUpAll(t.server.url, ...names);
  const groupOf = async (admin: TestUser, name: string, members: TestUser[]) =>
    (await admin.api.post("/api/v1/chat/rooms", { type: "group", name, participant_ids: members.map((m) => m.id) })).body.id as string;
  const say = async (user: TestUser, roomId: string, content: string) =>
    expect((await user.api.post(`/api/v1/chat/messages/${roomId}`, { content })).status).toBe(201);
  async function subscribe(user: TestUser): Promise<FakeSubscription> {
    const subscription = fakeSubscription(recorder, user.username);
    const res = await user.api.post(SUBSCRIPTIONS, subscription.json);
    expect(res.status).toBe(201);
    return subscription;
  }
  const received = (subscription: FakeSubscription) => recorder.to(subscription.endpoint).map((push) => subscription.read(push));
  /** Every notification noted so far is pending, and a dispatcher pass ran after that. */
  const settled = () => t.server.context.push.settled();
  const pendingFor = async (user: TestUser) =>
    (await t.server.context.db.query("SELECT 1 FROM push_pending WHERE user_id = $1", [user.id])).rows.length;

  it("collapses three quick messages into one notification for an offline member, with the count and the latest text", async () => {
    const [ana, ben] = await users("ana", "ben");
    const roomId = await groupOf(ana, "Runs", [ben]);
    const bens = await subscribe(ben);
    const anas = await subscribe(ana);
    await say(ana, roomId, "5k at 7?");
    await say(ana, roomId, "or 6?");
    await say(ana, roomId, "river loop");

    await waitFor(() => recorder.to(bens.endpoint).length === 1, "ben's notification");
    await settled();
    expect(received(bens)).toEqual([
      {
        kind: "message",
        room_id: roomId,
        title: "Runs",
        body: "3 new messages\nana: river loop",
        latest: "ana: river loop",
        count: 3,
        url: `/#room/${roomId}`,
        tag: `room:${roomId}`,
      },
    ]);
    const [push] = recorder.to(bens.endpoint);
    const publicKey = (await ben.api.get("/api/v1/push/config")).body.public_key;
    expect(push?.headers).toMatchObject({
      ttl: "86400",
      topic: roomId.replaceAll("-", ""),
      urgency: "normal",
      "content-encoding": "aes128gcm",
      authorization: expect.stringMatching(new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${publicKey}$`)),
    });
    const jwt = /t=([^,]+)/.exec(push?.headers.authorization ?? "")?.[1] ?? "";
    const claims = JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString());
    expect(claims).toMatchObject({ aud: recorder.url, sub: "mailto:admin@localhost" });
    expect(received(anas)).toEqual([]);
  });

  it("notes messages of several rooms accepted at once, each room in its own notification for its own members", async () => {
    const [ana, ben, cai] = await users("ana", "ben", "cai");
    const runs = await groupOf(ana, "Runs", [ben, cai]);
    const lifts = await groupOf(ana, "Lifts", [ben]);
    const [bens, cais] = [await subscribe(ben), await subscribe(cai)];
    // Sent together, so they are noted in one fan-out.
    await Promise.all([say(ana, runs, "hill repeats"), say(ana, lifts, "squats"), say(ana, lifts, "then rows")]);
    await waitFor(() => recorder.to(bens.endpoint).length === 2 && recorder.to(cais.endpoint).length === 1, "the notifications");
    await settled();
    const byRoom = (pushes: ReturnType<typeof received>) => Object.fromEntries(pushes.map((p) => [p.title, p.count]));
    expect(byRoom(received(bens))).toEqual({ Runs: 1, Lifts: 2 });
    expect(byRoom(received(cais))).toEqual({ Runs: 1 });
  });

  it("sends nothing to the sender or to a member who is connected", async () => {
    const [ana, ben, cai] = await users("ana", "ben", "cai");
    const roomId = await groupOf(ana, "Lifts", [ben, cai]);
    const [anas, bens, cais] = [await subscribe(ana), await subscribe(ben), await subscribe(cai)];
    const socket = connectSocket(t.server.wsUrl);
    const feed = openDocument(socket, `user:${ben.id}`, ben.token);
    cleanup.push(() => {
      feed.destroy();
      socket.destroy();
    });
    await feed.synced();
    await waitFor(
      async () => (await t.server.context.db.query("SELECT 1 FROM presence_connections WHERE user_id = $1", [ben.id])).rows.length > 0,
      "ben to count as connected",
    );

    await say(ana, roomId, "deadlift PRs today");
    await waitFor(() => recorder.to(cais.endpoint).length === 1, "cai's notification");
    await settled();
    expect(received(cais).map((p) => p.latest)).toEqual(["ana: deadlift PRs today"]);
    expect(received(bens)).toEqual([]);
    expect(received(anas)).toEqual([]);
    expect(await pendingFor(ben)).toBe(0);
  });

  it("notifies of a message sent over the WebSocket as of one sent over REST; a direct room is titled by its sender", async () => {
    const [ana, ben] = await users("ana", "ben");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { participant_ids: [ben.id] })).body.id as string;
    const bens = await subscribe(ben);
    const socket = connectSocket(t.server.wsUrl);
    const room = openDocument(socket, `room:${roomId}`, ana.token);
    cleanup.push(() => {
      room.destroy();
      socket.destroy();
    });
    await room.synced();
    sendMessage(room.doc, { id: newId(), sender_id: ana.id, content: "over the socket" });
    await room.saved();

    await waitFor(() => recorder.to(bens.endpoint).length === 1, "ben's notification");
    expect(received(bens)).toEqual([
      expect.objectContaining({ kind: "message", title: "ana", body: "over the socket", latest: "over the socket", count: 1 }),
    ]);
  });

  it("sends nothing for a muted room, but a mention in it still notifies", async () => {
    const [ana, ben] = await users("ana", "ben");
    const roomId = await groupOf(ana, "Swims", [ben]);
    const bens = await subscribe(ben);
    expect((await ben.api.put(`/api/v1/chat/rooms/${roomId}/settings`, { is_muted: true })).status).toBe(200);

    await say(ana, roomId, "pool at 6");
    await settled();
    expect(await pendingFor(ben)).toBe(0);
    expect(received(bens)).toEqual([]);

    await say(ana, roomId, `@${ben.username.toUpperCase()} bring fins`);
    await waitFor(() => recorder.to(bens.endpoint).length === 1, "ben's mention");
    expect(received(bens)).toEqual([
      expect.objectContaining({
        kind: "mention",
        title: "ana mentioned you in Swims",
        body: `@${ben.username.toUpperCase()} bring fins`,
        count: 1,
        tag: `room:${roomId}`,
      }),
    ]);
    const [push] = recorder.to(bens.endpoint);
    expect(push?.headers.urgency).toBe("high");
  });

  it("stops a kind the user turned off, and only that kind", async () => {
    const [ana, ben] = await users("ana", "ben");
    const roomId = await groupOf(ana, "Climbs", [ben]);
    const bens = await subscribe(ben);
    expect((await ben.api.get(PREFERENCES)).body).toEqual({ messages: true, mentions: true, friend_requests: true });

    const off = await ben.api.put(PREFERENCES, { messages: false });
    expect(off.body).toEqual({ messages: false, mentions: true, friend_requests: true });
    await say(ana, roomId, "bouldering tonight");
    await settled();
    expect(await pendingFor(ben)).toBe(0);
    expect(received(bens)).toEqual([]);

    await say(ana, roomId, `@${ben.username} you in?`);
    await waitFor(() => recorder.to(bens.endpoint).length === 1, "ben's mention");
    expect(received(bens).map((p) => p.kind)).toEqual(["mention"]);

    await ben.api.put(PREFERENCES, { mentions: false, friend_requests: false });
    expect((await ben.api.get(PREFERENCES)).body).toEqual({ messages: false, mentions: false, friend_requests: false });
    await say(ana, roomId, `@${ben.username} ?`);
    const [cai] = await users("cai");
    expect((await cai.api.post("/api/v1/chat/friends/requests", { requestee_id: ben.id })).status).toBe(201);
    await settled();
    expect(await pendingFor(ben)).toBe(0);
    expect(recorder.to(bens.endpoint)).toHaveLength(1);
  });

  it("notifies the requestee of a friend request", async () => {
    const [ana, ben] = await users("ana", "ben");
    const bens = await subscribe(ben);
    expect((await ana.api.post("/api/v1/chat/friends/requests", { requestee_id: ben.id })).status).toBe(201);
    await waitFor(() => recorder.to(bens.endpoint).length === 1, "ben's friend request notification");
    expect(received(bens)).toEqual([
      {
        kind: "friend_request",
        room_id: null,
        title: "New friend request",
        body: "ana wants to be friends.",
        latest: "ana wants to be friends.",
        count: 1,
        url: "/#friends",
        tag: "friend-requests",
      },
    ]);
  });

  it.each([410, 404])("forgets a subscription whose push service answers %i", async (status) => {
    const [ana, ben] = await users("ana", "ben");
    const roomId = await groupOf(ana, "Rides", [ben]);
    const bens = await subscribe(ben);
    recorder.answer(bens.endpoint, status);
    await say(ana, roomId, "gravel on sunday");
    await waitFor(() => recorder.to(bens.endpoint).length === 1, "the push to the gone endpoint");
    const stored = async () =>
      (await t.server.context.db.query("SELECT 1 FROM push_subscriptions WHERE endpoint = $1", [bens.endpoint])).rows.length;
    await waitFor(async () => (await stored()) === 0, "the subscription to be forgotten");

    await say(ana, roomId, "anyone?");
    await settled();
    expect(await pendingFor(ben)).toBe(0);
    expect(recorder.to(bens.endpoint)).toHaveLength(1);
  });

  it("keeps at most 20 subscriptions per user: a 21st forgets the oldest", async () => {
    const [ana] = await users("ana");
    const made = Array.from({ length: 21 }, (_, i) => fakeSubscription(recorder, `device-${i}`));
    for (const subscription of made) expect((await ana.api.post(SUBSCRIPTIONS, subscription.json)).status).toBe(201);
    const { rows } = await t.server.context.db.query<{ endpoint: string }>("SELECT endpoint FROM push_subscriptions WHERE user_id = $1", [
      ana.id,
    ]);
    expect(rows).toHaveLength(20);
    expect(rows.map((r) => r.endpoint)).not.toContain(made[0]?.endpoint);
    expect(rows.map((r) => r.endpoint)).toContain(made[20]?.endpoint);
  });

  it("keeps one subscription per endpoint: subscribing again is idempotent, and another user takes it over", async () => {
    const [ana, ben] = await users("ana", "ben");
    const shared = fakeSubscription(recorder, "shared");
    const ownerOf = async () =>
      (
        await t.server.context.db.query<{ user_id: string }>("SELECT user_id::text FROM push_subscriptions WHERE endpoint = $1", [
          shared.endpoint,
        ])
      ).rows;
    expect((await ana.api.post(SUBSCRIPTIONS, shared.json)).status).toBe(201);
    expect((await ana.api.post(SUBSCRIPTIONS, shared.json)).status).toBe(200);
    expect(await ownerOf()).toEqual([{ user_id: ana.id }]);
    expect((await ben.api.post(SUBSCRIPTIONS, shared.json)).status).toBe(200);
    expect(await ownerOf()).toEqual([{ user_id: ben.id }]);

    expect((await ana.api.request("DELETE", SUBSCRIPTIONS, { endpoint: shared.endpoint })).status).toBe(204);
    expect(await ownerOf()).toEqual([{ user_id: ben.id }]);
    expect((await ben.api.request("DELETE", SUBSCRIPTIONS, { endpoint: shared.endpoint })).status).toBe(204);
    expect(await ownerOf()).toEqual([]);
  });

  it("refuses malformed subscriptions and preferences with 400", async () => {
    const [ana] = await users("ana");
    const valid = fakeSubscription(recorder, "valid").json;
    const refusals = [
      await ana.api.post(SUBSCRIPTIONS, { endpoint: valid.endpoint }),
      await ana.api.post(SUBSCRIPTIONS, { ...valid, keys: { ...valid.keys, p256dh: "c2hvcnQ" } }),
      await ana.api.post(SUBSCRIPTIONS, { ...valid, endpoint: "not a url" }),
      await ana.api.post(SUBSCRIPTIONS, { ...valid, endpoint: "ftp://127.0.0.1/x" }),
      await ana.api.put(PREFERENCES, { messages: "yes" }),
      await ana.api.put(PREFERENCES, { sounds: false }),
      await ana.api.request("DELETE", SUBSCRIPTIONS, {}),
    ];
    expect(refusals.map((r) => [r.status, r.body.error.code])).toEqual([
      [400, "invalid_request"],
      [400, "invalid_request"],
      [400, "invalid_request"],
      [400, "push_endpoint_refused"],
      [400, "invalid_request"],
      [400, "invalid_request"],
      [400, "invalid_request"],
    ]);
  });

  it("answers 401 to every push route without a session", async () => {
    const anonymous = new ApiClient(t.server.url);
    const valid = fakeSubscription(recorder, "anonymous").json;
    const answers = [
      await anonymous.get("/api/v1/push/config"),
      await anonymous.post(SUBSCRIPTIONS, valid),
      await anonymous.request("DELETE", SUBSCRIPTIONS, { endpoint: valid.endpoint }),
      await anonymous.get(PREFERENCES),
      await anonymous.put(PREFERENCES, { messages: false }),
    ];
    expect(answers.map((r) => [r.status, r.body.error.code])).toEqual(Array(5).fill([401, "unauthenticated"]));
  });

  describe("with insecure endpoints not allowed (the default)", () => {
    // Several processes over one PostgreSQL run together through Redis.
    const cluster: Record<string, string> = backend === "postgres" ? { REDIS_URL: TEST_REDIS_URL } : {};
    const strict = useTestServer(backend, cluster);

    it("accepts only https endpoints on a public host name", async () => {
      const [ana] = await signUpAll(strict.server.url, "ana");
      const keys = fakeSubscription(recorder, "strict").json.keys;
      const post = (endpoint: string) => ana.api.post(SUBSCRIPTIONS, { endpoint, keys });
      const refused = [
        await post(`${recorder.url}/push/plain-http`),
        await post("https://127.0.0.1/push/x"),
        await post("https://[::1]/push/x"),
        await post("https://169.254.169.254/latest/meta-data"),
        await post("https://localhost/push/x"),
        await post("https://user:pass@push.example.com/x"),
      ];
      expect(refused.map((r) => [r.status, r.body.error.code])).toEqual(Array(6).fill([400, "push_endpoint_refused"]));
      expect((await post("https://push.example.com/wpush/v2/abc")).status).toBe(201);
    });

    it.skipIf(backend === "pglite")("gives every process over one database the same generated VAPID key", async () => {
      const second = await startTestServer(backend, strict.database, cluster);
      try {
        const [ana] = await signUpAll(strict.server.url, "ana");
        const fromFirst = (await ana.api.get("/api/v1/push/config")).body.public_key;
        const fromSecond = (await new ApiClient(second.url, ana.token).get("/api/v1/push/config")).body.public_key;
        expect(Buffer.from(fromFirst, "base64url")).toHaveLength(65);
        expect(fromSecond).toBe(fromFirst);
      } finally {
        await second.stop();
      }
    });
  });
});
