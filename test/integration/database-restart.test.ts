import { afterAll, describe, expect, it } from "vitest";
import { newId } from "../../shared/ids.ts";
import { sendMessage } from "../../shared/room-doc/index.ts";
import { ApiClient, signUp, storedMessageIds } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { type OwnPostgres, startOwnPostgres } from "../helpers/own-postgres.ts";
import { type ServerProcess, spawnServer } from "../helpers/server-process.ts";
import { connectSocket, openDocument } from "../helpers/sync-client.ts";
import { waitFor } from "../helpers/wait-for.ts";

const UNPACED = { MESSAGES_PER_MINUTE: "1000000", MESSAGES_ABUSE_PER_TEN_MINUTES: "1000000", MESSAGES_PER_ROOM_PER_MINUTE: "1000000" };
const RESTARTS = 2;

// Restarting PostgreSQL under the server is a PostgreSQL matter: PGlite lives inside the process.
describe.runIf(backendsUnderTest().includes("postgres"))("a PostgreSQL restart under load", () => {
  let postgres: OwnPostgres | undefined;
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.stop();
    postgres?.destroy();
  });

  it("keeps the server up, answers 503 with Retry-After meanwhile, loses nothing acknowledged, and resumes by itself", async () => {
    postgres = await startOwnPostgres();
    server = await spawnServer({ DATABASE_URL: postgres.url, ...UNPACED });
    const ana = await signUp(server.url, "ana");
    const ben = await signUp(server.url, "ben");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { participant_ids: [ben.id] })).body.id as string;
    const socket = connectSocket(server.wsUrl);
    const room = openDocument(socket, `room:${roomId}`, ana.token);
    await room.synced();

    // WebSocket: the server acknowledges a connection's updates in order, so when the provider's
    // count of unacknowledged updates drops, the oldest ones were acknowledged.
    const sentOverSocket: string[] = [];
    const ackedOverSocket = new Set<string>();
    room.provider.on("unsyncedChanges", ({ number }: { number: number }) => {
      for (const id of sentOverSocket.slice(0, Math.max(0, sentOverSocket.length - number))) ackedOverSocket.add(id);
    });
    // REST: a message counts once its POST answered 2xx; every other answer is recorded.
    const ackedOverRest = new Set<string>();
    const restAnswers: Array<{ status: number; retryAfter: string | null; code?: string }> = [];
    let writing = true;
    const restWriter = (async () => {
      while (writing) {
        const id = newId();
        const res = await fetch(`${server?.url}/api/v1/chat/messages/${roomId}`, {
          method: "POST",
          headers: { authorization: `Bearer ${ben.token}`, "content-type": "application/json" },
          body: JSON.stringify({ id, content: `rest ${id}` }),
        });
        const body = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
        restAnswers.push({ status: res.status, retryAfter: res.headers.get("retry-after"), code: body.error?.code });
        if (res.status < 300) ackedOverRest.add(id);
        else await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const healthDuringOutage: number[] = [];
    const socketWriter = (async () => {
      for (let i = 0; writing; i++) {
        const id = newId();
        sentOverSocket.push(id);
        sendMessage(room.doc, { id, content: `socket ${i}`, sender_id: ana.id });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();

    const backAfterMs: number[] = [];
    for (let restart = 0; restart < RESTARTS; restart++) {
      const acked = ackedOverSocket.size + ackedOverRest.size;
      await waitFor(() => ackedOverSocket.size + ackedOverRest.size >= acked + 100, "100 more acknowledged messages before the restart");
      let restarting = true;
      const probe = (async () => {
        while (restarting) {
          healthDuringOutage.push((await fetch(`${server?.url}/healthz`)).status);
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      })();
      await postgres.restart();
      const databaseBack = Date.now();
      restarting = false;
      await probe;
      await waitFor(async () => (await fetch(`${server?.url}/healthz`)).status === 200, "healthz to say ready again");
      const ackedAtRecovery = ackedOverSocket.size + ackedOverRest.size;
      await waitFor(
        () => ackedOverSocket.size + ackedOverRest.size >= ackedAtRecovery + 20,
        "writes to be acknowledged again after the restart",
        30_000,
      );
      backAfterMs.push(Date.now() - databaseBack);
    }
    writing = false;
    await Promise.all([restWriter, socketWriter]);
    await waitFor(() => room.provider.isSynced && !room.provider.hasUnsyncedChanges, "the provider to have nothing unsent", 60_000);

    expect(server.child.exitCode).toBeNull();
    // While the database was away: REST said 503 with Retry-After (never 500), healthz said not ready.
    expect(restAnswers.filter((a) => a.status >= 300 && (a.status !== 503 || a.retryAfter === null))).toEqual([]);
    expect(healthDuringOutage).toContain(503);
    // Every acknowledged message is stored, exactly once; so is everything the provider sent.
    const stored = await storedMessageIds(new ApiClient(server.url, ana.token), roomId);
    expect([...ackedOverSocket, ...ackedOverRest].filter((id) => !stored.includes(id))).toEqual([]);
    expect(sentOverSocket.filter((id) => !stored.includes(id))).toEqual([]);
    expect(new Set(stored).size).toBe(stored.length);
    expect(room.refusals).toEqual([]);
    console.info(
      `PostgreSQL restarted ${RESTARTS}× under load: ${ackedOverSocket.size} WebSocket + ${ackedOverRest.size} REST messages acknowledged, ` +
        `${restAnswers.filter((a) => a.status === 503).length} REST 503s, writes acknowledged again ${backAfterMs.join(" / ")} ms after the database was back`,
    );
    socket.destroy();
  }, 300_000);
});
