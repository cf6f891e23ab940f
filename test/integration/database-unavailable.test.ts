import net from "node:net";
import Fastify from "fastify";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "../../server/db/unavailable.ts";
import { installErrorHandler } from "../../server/http/error-handler.ts";
import { HttpError } from "../../server/http/http-error.ts";
import { createLogger } from "../../server/logger.ts";
import { backendsUnderTest, TEST_POSTGRES_URL } from "../helpers/backends.ts";
import { waitFor } from "../helpers/wait-for.ts";

/** A local TCP server that does `onConnection` to every socket: a stand-in for a PostgreSQL going away. */
async function fakeServer(onConnection: (socket: net.Socket) => void): Promise<{ port: number; close(): void }> {
  const server = net.createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

/** The error a promise rejects with (failing the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail("expected a rejection"),
    (error: unknown) => error,
  );
}

/** A port of 127.0.0.1 nothing listens on (it did a moment ago). */
async function closedPort(): Promise<number> {
  const server = await fakeServer(() => {});
  server.close();
  return server.port;
}

/** The error pg gives when a client connects to 127.0.0.1:`port`. */
const connectError = (port: number, options: pg.ClientConfig = {}) =>
  rejection(new pg.Client({ host: "127.0.0.1", port, ...options }).connect());

describe("isDatabaseUnavailable", () => {
  it("is true when the connection is refused, reset, dropped or times out", async () => {
    const refused = await connectError(await closedPort());
    expect(refused).toMatchObject({ code: "ECONNREFUSED" });

    const resetting = await fakeServer((socket) => socket.resetAndDestroy());
    const dropping = await fakeServer((socket) => socket.destroy());
    const silent = await fakeServer(() => {});
    try {
      const reset = await connectError(resetting.port);
      expect(reset).toMatchObject({ code: "ECONNRESET" });
      const dropped = await connectError(dropping.port);
      expect(dropped).toMatchObject({ message: "Connection terminated unexpectedly" });
      const pool = new pg.Pool({ host: "127.0.0.1", port: silent.port, connectionTimeoutMillis: 100 });
      const timedOut = await rejection(pool.query("SELECT 1"));
      await pool.end();
      expect(timedOut).toMatchObject({ message: expect.stringMatching(/timeout/) });
      for (const error of [refused, reset, dropped, timedOut]) expect(isDatabaseUnavailable(error)).toBe(true);
    } finally {
      for (const server of [resetting, dropping, silent]) server.close();
    }
  });

  it("is true for socket errors Node names EPIPE and ETIMEDOUT", () => {
    // Shaped as Node makes them (a system error with code and syscall); neither is made on demand.
    const epipe = Object.assign(new Error("write EPIPE"), { code: "EPIPE", errno: -32, syscall: "write" });
    const timedOut = Object.assign(new Error("connect ETIMEDOUT 10.255.255.1:5432"), {
      code: "ETIMEDOUT",
      errno: -110,
      syscall: "connect",
    });
    expect([isDatabaseUnavailable(epipe), isDatabaseUnavailable(timedOut)]).toEqual([true, true]);
  });

  it("is true for PostgreSQL's connection exceptions (class 08) and shutdown states 57P01, 57P02, 57P03", () => {
    const states = ["08000", "08001", "08003", "08006", "08P01", "57P01", "57P02", "57P03"];
    for (const code of states) {
      const error = Object.assign(new pg.DatabaseError("the database system is shutting down", 0, "error"), { code });
      expect({ code, unavailable: isDatabaseUnavailable(error) }).toEqual({ code, unavailable: true });
    }
  });

  it("is true through a wrapping error's cause and inside an AggregateError", async () => {
    const refused = await connectError(await closedPort());
    expect(isDatabaseUnavailable(new Error("could not load the room", { cause: refused }))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([new Error("other"), refused], "connect failed"))).toBe(true);
  });

  it("is false for errors that are not about reaching the database", () => {
    const notAboutTheDatabase: unknown[] = [
      new Error("boom"),
      new TypeError("Cannot read properties of undefined"),
      new HttpError("not_found", "No such room."),
      Object.assign(new Error("ENOENT: no such file"), { code: "ENOENT" }),
      "ECONNREFUSED",
      null,
      undefined,
      { code: 8006 },
    ];
    for (const error of notAboutTheDatabase) expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe.skipIf(!backendsUnderTest().includes("postgres"))("isDatabaseUnavailable against a real PostgreSQL", () => {
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  beforeAll(() => admin.connect());
  afterAll(() => admin.end());

  it("is true when the server ends the session (57P01), for a pooled query in flight and for the client used after", async () => {
    const pool = new pg.Pool({ connectionString: TEST_POSTGRES_URL });
    pool.on("error", () => {});
    const victim = rejection(pool.query("SELECT pg_sleep(30) /* unavailable-test victim */"));
    await waitFor(async () => {
      const { rows } = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%unavailable-test victim */' AND pid <> pg_backend_pid()",
      );
      return rows.length > 0;
    }, "the victim query to run");
    const terminated = await victim;
    await pool.end();
    expect(terminated).toMatchObject({ code: "57P01" });

    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    client.on("error", () => {});
    await client.connect();
    const self = await rejection(client.query("SELECT pg_terminate_backend(pg_backend_pid())"));
    const after = await rejection(client.query("SELECT 1"));
    expect(self).toMatchObject({ code: "57P01" });
    expect(after).toMatchObject({ message: expect.stringMatching(/^Connection terminated|not queryable/) });
    for (const error of [terminated, self, after]) expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it("is false for what a reachable database refuses: bad text, a statement timeout, bad SQL, a duplicate", async () => {
    const refusals = [
      await rejection(admin.query("SELECT $1::text", ["a\u0000b"])),
      await rejection(admin.query("SET statement_timeout = 10; SELECT pg_sleep(1)")),
      await rejection(admin.query("SELEC 1")),
      await rejection(admin.query("CREATE TEMP TABLE IF NOT EXISTS once (x int PRIMARY KEY); INSERT INTO once VALUES (1), (1)")),
    ];
    await admin.query("RESET statement_timeout");
    expect(refusals.map((e) => (e as { code?: string }).code)).toEqual(["22021", "57014", "42601", "23505"]);
    for (const error of refusals) expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe("REST while the database is unreachable", () => {
  it("answers 503 service_unavailable with Retry-After, while any other failure stays a 500", async () => {
    const refused = await connectError(await closedPort());
    const app = Fastify();
    installErrorHandler(app, createLogger("silent"));
    app.get("/unreachable", async () => {
      throw refused;
    });
    app.get("/shutting-down", async () => {
      throw Object.assign(new pg.DatabaseError("the database system is starting up", 0, "error"), { code: "57P03" });
    });
    app.get("/bug", async () => {
      throw new TypeError("a bug");
    });
    try {
      for (const url of ["/unreachable", "/shutting-down"]) {
        const res = await app.inject({ method: "GET", url });
        expect({ url, status: res.statusCode, code: res.json().error.code }).toEqual({ url, status: 503, code: "service_unavailable" });
        expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
        expect(res.json().error.message).toEqual(expect.any(String));
      }
      const bug = await app.inject({ method: "GET", url: "/bug" });
      expect([bug.statusCode, bug.json().error.code, bug.headers["retry-after"]]).toEqual([500, "internal", undefined]);
    } finally {
      await app.close();
    }
  });
});
