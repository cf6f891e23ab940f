import { randomBytes } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { ApiClient, type ApiResponse, signUp } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { useTestServer } from "../helpers/test-server.ts";

const PASSWORD = "correct horse battery";
// LOGIN_MAX_FAILURES below; an address gets ten times as many.
const PER_USERNAME = 5;
const PER_ADDRESS = PER_USERNAME * 10;

/** How many responses had each status. */
function statuses(responses: ApiResponse[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const r of responses) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

describe.each(backendsUnderTest())("login limits under parallel attempts on %s", (backend) => {
  const t = useTestServer(backend, { LOGIN_MAX_FAILURES: String(PER_USERNAME) });
  const login = (username: string, password: string) => new ApiClient(t.server.url).post("/api/v1/auth/login", { username, password });

  // Every test here logs in from 127.0.0.1: each starts that address (and every username) afresh.
  beforeEach(async () => {
    await t.server.context.db.query("DELETE FROM rate_limits WHERE key LIKE 'login:%'");
  });

  it("checks at most the allowance of 30 parallel wrong guesses at one username, and then refuses the right password", async () => {
    const dee = await signUp(t.server.url, "dee");
    const guesses = await Promise.all(Array.from({ length: 30 }, (_, i) => login(dee.username, `wrong guess ${i}`)));
    expect(statuses(guesses)).toEqual({ 401: PER_USERNAME, 429: 30 - PER_USERNAME });
    for (const refused of guesses.filter((r) => r.status === 429)) {
      expect(refused.body.error.code).toBe("rate_limited");
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    const right = await login(dee.username, PASSWORD);
    expect([right.status, right.body.error?.code]).toEqual([429, "rate_limited"]);
  });

  it("lets a right password among parallel guesses in only while the allowance lasts", async () => {
    const eve = await signUp(t.server.url, "eve");
    const wrong = await Promise.all(Array.from({ length: PER_USERNAME - 1 }, (_, i) => login(eve.username, `wrong ${i}`)));
    expect(statuses(wrong)).toEqual({ 401: PER_USERNAME - 1 });
    // The last attempt of the allowance is the right one: it logs in, and forgets the failures.
    expect((await login(eve.username, PASSWORD)).status).toBe(200);
    expect((await login(eve.username, "wrong again")).status).toBe(401);
  });

  it("holds the per-address allowance in one burst of wrong guesses at many usernames", async () => {
    const names = Array.from({ length: PER_ADDRESS + 20 }, () => `nobody_${randomBytes(4).toString("hex")}`);
    const burst = await Promise.all(names.map((name) => login(name, "wrong password")));
    expect(statuses(burst)).toEqual({ 401: PER_ADDRESS, 429: 20 });
    // The address is spent: even a real account's right password waits.
    const fay = await signUp(t.server.url, "fay");
    const right = await login(fay.username, PASSWORD);
    expect([right.status, Number(right.headers.get("retry-after")) > 0]).toEqual([429, true]);
  });

  it("gives a successful login's attempt back to the address", async () => {
    const gus = await signUp(t.server.url, "gus");
    for (let i = 0; i < PER_ADDRESS + 5; i++) expect((await login(gus.username, PASSWORD)).status).toBe(200);
  });
});

describe.each(backendsUnderTest())("logout on %s", (backend) => {
  const t = useTestServer(backend);

  it("answers an unknown, garbage or already revoked token with 401 unauthenticated", async () => {
    const ana = await signUp(t.server.url, "ana");
    const logout = (token: string) => new ApiClient(t.server.url, token).post("/api/v1/auth/logout");
    for (const token of ["garbage", randomBytes(32).toString("base64url"), "x".repeat(500)]) {
      const res = await logout(token);
      expect([res.status, res.body?.error?.code]).toEqual([401, "unauthenticated"]);
    }
    expect((await new ApiClient(t.server.url).post("/api/v1/auth/logout")).status).toBe(401);
    // The real session is untouched by all that, ends on its own logout, and cannot end twice.
    expect((await ana.api.get("/api/v1/users/me")).status).toBe(200);
    expect((await logout(ana.token)).status).toBe(204);
    expect((await logout(ana.token)).status).toBe(401);
  });
});
