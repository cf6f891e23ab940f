import { describe, expect, it } from "vitest";
import { ApiClient, signUp } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { useTestServer } from "../helpers/test-server.ts";

describe.each(backendsUnderTest())("accounts on %s", (backend) => {
  const t = useTestServer(backend, { LOGIN_MAX_FAILURES: "3" });
  const anon = () => new ApiClient(t.server.url);

  it("signs up, reads me, logs out and the token stops working", async () => {
    const ana = await signUp(t.server.url, "ana");
    const me = await ana.api.get("/api/v1/users/me");
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      id: ana.id,
      username: ana.username,
      display_name: "ana",
      is_server_admin: false,
    });
    expect(me.body).not.toHaveProperty("password_hash");
    expect((await ana.api.post("/api/v1/auth/logout")).status).toBe(204);
    const after = await ana.api.get("/api/v1/users/me");
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe("unauthenticated");
  });

  it("logs in with the password, case-insensitively by username, and refuses a wrong one", async () => {
    const ben = await signUp(t.server.url, "ben");
    const ok = await anon().post("/api/v1/auth/login", {
      username: ben.username.toUpperCase(),
      password: "correct horse battery",
    });
    expect(ok.status).toBe(200);
    expect(ok.body.user.id).toBe(ben.id);
    expect(ok.body.token).not.toBe(ben.token);
    const wrong = await anon().post("/api/v1/auth/login", {
      username: ben.username,
      password: "nope nope nope",
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("invalid_credentials");
  });

  it("refuses a taken username with 409, whatever its case", async () => {
    const cai = await signUp(t.server.url, "cai");
    const again = await anon().post("/api/v1/auth/signup", {
      username: cai.username.toUpperCase(),
      password: "another password",
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("username_taken");
  });

  it("refuses repeated failed logins with 429 and Retry-After, even with the right password", async () => {
    const dee = await signUp(t.server.url, "dee");
    for (let i = 0; i < 3; i++) {
      expect(
        (
          await anon().post("/api/v1/auth/login", {
            username: dee.username,
            password: "wrong password",
          })
        ).status,
      ).toBe(401);
    }
    const limited = await anon().post("/api/v1/auth/login", {
      username: dee.username,
      password: "correct horse battery",
    });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // The count lives in the database, not in this process's memory.
    const { rows } = await t.server.context.db.query<{ points: number }>("SELECT points FROM rate_limits WHERE key = $1", [
      `login:user:${dee.username.toLowerCase()}`,
    ]);
    expect(rows[0]?.points).toBeGreaterThanOrEqual(3);
  });

  it("answers bad input with 4xx and a named code, never 5xx", async () => {
    const cases: Array<[string, string, unknown, number, string]> = [
      ["POST", "/api/v1/auth/signup", "{not json", 400, "invalid_json"],
      ["POST", "/api/v1/auth/signup", { username: "ab", password: "12345678" }, 400, "invalid_request"],
      ["POST", "/api/v1/auth/signup", { username: "valid_name", password: 12345678 }, 400, "invalid_request"],
      ["POST", "/api/v1/auth/signup", { username: "valid_name", password: "12345678", admin: true }, 400, "invalid_request"],
      ["POST", "/api/v1/auth/login", { username: "x".repeat(300_000), password: "p" }, 413, "payload_too_large"],
      ["GET", "/api/v1/users/me", undefined, 401, "unauthenticated"],
      ["GET", "/api/v1/nope", undefined, 404, "not_found"],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await anon().request(method, path, body);
      expect({ path, status: res.status, code: res.body?.error?.code }).toEqual({
        path,
        status,
        code,
      });
    }
    const wrongType = await anon().request("POST", "/api/v1/auth/login", "username=a", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(wrongType.status).toBe(415);
    expect(wrongType.body.error.code).toBe("unsupported_media_type");
  });
});
