import { describe, expect, it } from "vitest";
import { AWARENESS_LIMITS, AwarenessBudget, type ClientIdHolder, stampAwareness } from "../../server/sync/awareness-gate.ts";

const eve = { id: "eve-id", username: "eve_1", display_name: "Eve" };

describe("a connection's awareness budget", () => {
  it("lets a burst through, then the rate, and drops the excess", () => {
    const budget = new AwarenessBudget(0);
    for (let i = 0; i < AWARENESS_LIMITS.burst; i++) expect(budget.take(0).kind).toBe("pass");
    expect(budget.take(0).kind).toBe("drop");
    // One message's worth of refill later, one more goes through.
    expect(budget.take(1000 / AWARENESS_LIMITS.perSecond).kind).toBe("pass");
    expect(budget.take(1000 / AWARENESS_LIMITS.perSecond).kind).toBe("drop");
  });

  it("never refuses a typist at the rate, however long they type", () => {
    const budget = new AwarenessBudget(0);
    const every = 1000 / AWARENESS_LIMITS.perSecond;
    for (let t = 0; t < 10 * 60_000; t += every) expect(budget.take(t).kind).toBe("pass");
  });

  it("drops some of a client that sends on every keystroke of a 15-a-second typist, and never refuses it", () => {
    const budget = new AwarenessBudget(0);
    const verdicts = new Set<string>();
    for (let t = 0; t < 10 * 60_000; t += 1000 / 15) verdicts.add(budget.take(t).kind);
    expect(verdicts).toEqual(new Set(["pass", "drop"]));
  });

  it("refuses a sustained flood, and forgives drops as time passes", () => {
    const flooded = new AwarenessBudget(0);
    const verdicts = Array.from({ length: AWARENESS_LIMITS.burst + AWARENESS_LIMITS.maxDropped + 1 }, () => flooded.take(0).kind);
    expect(verdicts.at(-2)).toBe("drop");
    expect(verdicts.at(-1)).toBe("refuse");

    const forgiven = new AwarenessBudget(0);
    for (let i = 0; i < AWARENESS_LIMITS.burst + AWARENESS_LIMITS.maxDropped; i++) forgiven.take(0);
    // A minute later the drops are forgiven and the bucket is full again.
    for (let i = 0; i < AWARENESS_LIMITS.burst; i++) expect(forgiven.take(60_000).kind).toBe("pass");
    expect(forgiven.take(60_000).kind).toBe("drop");
  });
});

describe("stamping an awareness update", () => {
  const holders = (map: Record<number, ClientIdHolder>) => (clientId: number) => map[clientId] ?? "nobody";

  it("writes the connection's user into each state and keeps only typing", () => {
    const states = new Map<number, Record<string, unknown>>([[1, { user: { id: "ben-id", name: "Ben" }, typing: true, color: "#f00" }]]);
    stampAwareness(states, eve, holders({ 1: "this connection" }), 1);
    expect(states.get(1)).toEqual({ user: { id: "eve-id", name: "Eve" }, typing: true });
  });

  it("names a user without a display name by username, and reads anything but true as not typing", () => {
    const states = new Map<number, Record<string, unknown>>([[1, { typing: "yes" }]]);
    stampAwareness(states, { ...eve, display_name: null }, holders({ 1: "this connection" }), 1);
    expect(states.get(1)).toEqual({ user: { id: "eve-id", name: "eve_1" }, typing: false });
  });

  it("drops states for ids someone else holds, empty states, and new ids past the bound", () => {
    const states = new Map<number, Record<string, unknown>>([
      [1, { typing: true }],
      [2, { typing: true }],
      [3, {}],
      [4, { typing: true }],
      [5, { typing: true }],
      [6, { typing: true }],
    ]);
    stampAwareness(states, eve, holders({ 1: "this connection", 2: "someone else" }), 1);
    // Id 1 is held; one new id fits under the bound of two; 3 is empty.
    expect([...states.keys()]).toEqual([1, 4]);
    expect(AWARENESS_LIMITS.maxClientIdsPerConnection).toBe(2);
  });
});
