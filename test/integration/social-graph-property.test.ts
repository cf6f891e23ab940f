import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { newId } from "../../shared/ids.ts";
import { type ApiResponse, signUpAll, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { useTestServer } from "../helpers/test-server.ts";

const REQUESTS = "/api/v1/chat/friends/requests";

type Person = 0 | 1 | 2 | 3;
type Users = readonly [TestUser, TestUser, TestUser, TestUser];

/**
 * One step of a random session between four users, by index. An answer or cancel picks one of the
 * requests sent so far; `byParty` makes the entitled side act (the requestee answers, the requester
 * cancels), otherwise `by` acts, who may have no say.
 */
type Step =
  | { kind: "request" | "block" | "unblock" | "unfriend"; by: Person; other: Person }
  | { kind: "accept" | "decline" | "cancel"; by: Person; request: number; byParty: boolean };

/** A request as sent: its id and both sides. */
interface Sent {
  id: string;
  requester: Person;
  requestee: Person;
}

const person = fc.constantFrom<Person>(0, 1, 2, 3);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("request" as const), by: person, other: person }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom("block", "unblock", "unfriend"), by: person, other: person }) },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constantFrom("accept", "decline", "cancel"), by: person, request: fc.nat(30), byParty: fc.boolean() }),
  },
);

// The refusals docs/social-graph.md names for each route; anything else (and any 5xx) is a bug.
const DOCUMENTED: Record<Step["kind"], string[]> = {
  request: ["request_to_self", "already_friends", "request_pending", "requests_not_accepted", "request_cooldown", "rate_limited"],
  accept: ["cannot_answer_own_request", "request_not_pending", "friend_request_not_found"],
  decline: ["cannot_answer_own_request", "request_not_pending", "friend_request_not_found"],
  cancel: ["not_requester", "request_not_pending", "friend_request_not_found"],
  block: ["cannot_block_self"],
  unblock: ["not_blocked"],
  unfriend: ["not_friends"],
};

const ids = (res: ApiResponse): string[] => res.body.items.map((item: { id: string }) => item.id);

/** Perform one step; `requests` holds every request sent so far, for answers to pick from. */
function perform(step: Step, users: Users, requests: Sent[]): Promise<ApiResponse> {
  if ("request" in step) {
    const request = requests[step.request % Math.max(requests.length, 1)];
    const party = step.kind === "cancel" ? request?.requester : request?.requestee;
    const by = users[step.byParty && party !== undefined ? party : step.by];
    const path = `${REQUESTS}/${request?.id ?? newId()}`;
    if (step.kind === "cancel") return by.api.delete(path);
    return by.api.put(path, { status: step.kind === "accept" ? "accepted" : "declined" });
  }
  const by = users[step.by];
  const other = users[step.other];
  switch (step.kind) {
    case "request":
      return by.api.post(REQUESTS, { requestee_id: other.id });
    case "block":
      return by.api.post(`/api/v1/chat/friends/block/${other.id}`);
    case "unblock":
      return by.api.delete(`/api/v1/chat/friends/block/${other.id}`);
    case "unfriend":
      return by.api.delete(`/api/v1/chat/friends/${other.id}`);
  }
}

/** What each user sees of the graph, through the API. */
async function observe(users: Users) {
  return Promise.all(
    users.map(async (user) => {
      const [friends, blocked, sent, received] = await Promise.all([
        user.api.get("/api/v1/chat/friends?limit=100"),
        user.api.get("/api/v1/chat/friends/blocked?limit=100"),
        user.api.get(`${REQUESTS}?direction=sent&limit=100`),
        user.api.get(`${REQUESTS}?direction=received&limit=100`),
      ]);
      return {
        id: user.id,
        friends: new Set(ids(friends)),
        blocked: new Set(ids(blocked)),
        sent: sent.body.items.map((r: { id: string; requestee_id: string }) => ({ id: r.id, to: r.requestee_id })),
        received: received.body.items.map((r: { id: string; requester_id: string }) => ({ id: r.id, from: r.requester_id })),
      };
    }),
  );
}

// One backend is enough: the property is about the rules, which the contract suites run on both.
describe.each(backendsUnderTest().slice(0, 1))("the social graph under random operations on %s", (backend) => {
  const t = useTestServer(backend, { FRIEND_REQUESTS_PER_HOUR: "100000", FRIEND_REQUEST_COOLDOWN_HOURS: "0" });

  it("keeps friendships symmetric, blocked pairs apart and at most one pending request per pair", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 10, maxLength: 30 }), async (steps) => {
        const users = await signUpAll(t.server.url, "p0", "p1", "p2", "p3");
        const requests: Sent[] = [];
        for (const step of steps) {
          const res = await perform(step, users, requests);
          if (res.status >= 400) {
            expect(DOCUMENTED[step.kind], `${step.kind} answered ${res.status} ${res.body?.error?.code}`).toContain(res.body?.error?.code);
          } else if (step.kind === "request") {
            const ends = (id: string) => users.findIndex((u) => u.id === id) as Person;
            requests.push({ id: res.body.id, requester: ends(res.body.requester_id), requestee: ends(res.body.requestee_id) });
          }
        }

        const seen = await observe(users);
        const byId = new Map(seen.map((u) => [u.id, u]));
        const pendingPairs = new Map<string, number>();
        for (const me of seen) {
          for (const them of seen) {
            if (me === them) continue;
            expect(me.friends.has(them.id), "friendship is symmetric").toBe(them.friends.has(me.id));
            const blockedEitherWay = me.blocked.has(them.id) || them.blocked.has(me.id);
            if (blockedEitherWay) {
              expect(me.friends.has(them.id), "blocked pairs are not friends").toBe(false);
              expect(
                me.sent.some((r: { to: string }) => r.to === them.id),
                "blocked pairs have no pending request",
              ).toBe(false);
            }
          }
          for (const request of me.sent) {
            const requestee = byId.get(request.to);
            expect(
              requestee?.received.map((r: { id: string }) => r.id),
              "a sent request is received",
            ).toContain(request.id);
            const pair = [me.id, request.to].sort().join(":");
            pendingPairs.set(pair, (pendingPairs.get(pair) ?? 0) + 1);
          }
          for (const request of me.received) {
            const requester = byId.get(request.from);
            expect(
              requester?.sent.map((r: { id: string }) => r.id),
              "a received request was sent",
            ).toContain(request.id);
          }
        }
        for (const [pair, count] of pendingPairs) expect(count, `pending requests between ${pair}`).toBe(1);

        const { rows } = await t.server.context.db.query<{ user_id: string; friend_id: string }>(
          "SELECT user_id, friend_id FROM friendships WHERE user_id = ANY($1::uuid[])",
          [users.map((u) => u.id)],
        );
        const stored = new Set(rows.map((r) => `${r.user_id}:${r.friend_id}`));
        for (const row of rows) expect(stored.has(`${row.friend_id}:${row.user_id}`), "both rows of a friendship are stored").toBe(true);
      }),
      // The time limit only bounds shrinking a counterexample; a passing property finishes well within it.
      { numRuns: 25, interruptAfterTimeLimit: 100_000 },
    );
  }, 150_000);
});
