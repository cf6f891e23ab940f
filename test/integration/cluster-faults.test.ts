import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../shared/ids.ts";
import { allMessages, sendMessage } from "../../shared/room-doc/index.ts";
import { ApiClient, signUpAll, storedMessageIds, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { type OwnPostgres, startOwnPostgres } from "../helpers/own-postgres.ts";
import { type OwnRedis, startOwnRedis } from "../helpers/own-redis.ts";
import { type ServerProcess, spawnServer } from "../helpers/server-process.ts";
import { connectSocket, type OpenDocument, openDocument } from "../helpers/sync-client.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";
import { waitFor } from "../helpers/wait-for.ts";

const UNPACED = { MESSAGES_PER_MINUTE: "1000000", MESSAGES_ABUSE_PER_TEN_MINUTES: "1000000", MESSAGES_PER_ROOM_PER_MINUTE: "1000000" };
// Generous: a takeover waits for the dead owner's lease to expire, on a busy machine.
const CONVERGED_WITHIN_MS = 90_000;

/** The sequence numbers of a copy's messages, in order. */
const numbers = (room: OpenDocument) =>
  allMessages(room.doc)
    .flatMap((m) => (m.seq === null ? [] : [m.seq]))
    .sort((a, b) => a - b);

// Faults of a cluster: its own PostgreSQL and Redis, so the test may kill and restart them.
describe.runIf(backendsUnderTest().includes("postgres"))("three server processes through faults", () => {
  let postgres: OwnPostgres;
  let redis: OwnRedis;
  const processes: ServerProcess[] = [];
  let proxy: TcpProxy;
  let ana: TestUser;
  let ben: TestUser;
  let cai: TestUser;
  let roomId: string;
  const sockets: Array<ReturnType<typeof connectSocket>> = [];
  const start = async () => {
    const p = await spawnServer({ DATABASE_URL: postgres.url, REDIS_URL: redis.url, ...UNPACED });
    processes.push(p);
    return p;
  };
  const at = (p: ServerProcess) => Number(new URL(p.url).port);

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startOwnPostgres(), startOwnRedis()]);
    const [first] = [await start(), await start(), await start()];
    [ana, ben, cai] = await signUpAll((first as ServerProcess).url, "ana", "ben", "cai");
    // Created over REST on the first process, which so loads the room first and sequences it.
    roomId = (await ana.api.post("/api/v1/chat/rooms", { type: "group", name: "Crew", participant_ids: [ben.id, cai.id] })).body.id;
    // Ana reaches the cluster through a proxy, as through a load balancer.
    proxy = await startTcpProxy(at(first as ServerProcess));
  }, 120_000);

  const printLogs = () => {
    for (const p of processes) console.log(p.output.filter((l) => /"level":(30|40|50|60)/.test(l)).join("\n"));
  };
  // A failure prints what the processes logged, to see it from their side (DEBUG_CLUSTER=1 always).
  afterEach(({ task }) => {
    if (task.result?.state === "fail") printLogs();
  });

  afterAll(async () => {
    if (process.env.DEBUG_CLUSTER) printLogs();
    for (const socket of sockets) socket.destroy();
    await proxy?.close();
    for (const p of processes) await p.stop();
    await redis?.destroy();
    postgres?.destroy();
  });

  const open = async (wsUrl: string, user: TestUser) => {
    const socket = connectSocket(wsUrl);
    sockets.push(socket);
    const room = openDocument(socket, `room:${roomId}`, user.token);
    await room.synced();
    return room;
  };
  const viaProxy = `ws://127.0.0.1:${0}/api/v1/chat/ws`;

  /** Each writer sends `count` messages, one every `everyMs`; `during` runs once a third of them are out. */
  async function writeThrough(writers: Array<{ user: TestUser; room: OpenDocument }>, count: number, during: () => Promise<void>) {
    const sent: string[] = [];
    let fault: Promise<void> | null = null;
    await Promise.all(
      writers.map(async ({ user, room }, w) => {
        for (let i = 0; i < count; i++) {
          const id = newId();
          sent.push(id);
          sendMessage(room.doc, { id, sender_id: user.id, content: `${w}-${i}` });
          if (w === 0 && i === Math.floor(count / 3)) fault = during();
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }),
    );
    await fault;
    return sent;
  }

  /** Every writer's changes acknowledged, every copy holding every message with numbers 1..n, each stored once. */
  async function expectConverged(rooms: OpenDocument[], sent: string[]) {
    for (const room of rooms) {
      await waitFor(() => room.provider.isSynced && !room.provider.hasUnsyncedChanges, "every change to be saved", CONVERGED_WITHIN_MS);
    }
    // Every process answers REST with everything acknowledged (a replica that missed entries catches up by itself).
    let stored: string[] = [];
    for (const p of processes) {
      const api = new ApiClient(p.url, ben.token);
      await waitFor(
        async () => {
          stored = await storedMessageIds(api, roomId);
          return sent.every((id) => stored.includes(id));
        },
        "REST on every process to list every acknowledged message",
        CONVERGED_WITHIN_MS,
      ).catch(() => {});
    }
    expect(new Set(stored).size).toBe(stored.length);
    if (process.env.DEBUG_CLUSTER) {
      for (const id of sent.filter((i) => !stored.includes(i)))
        console.log(
          "missing",
          id,
          rooms.map((r) => JSON.stringify(allMessages(r.doc).find((m) => m.id === id) ?? null)),
        );
    }
    for (const id of sent) expect(stored).toContain(id);
    const expected = Array.from({ length: stored.length }, (_, i) => i + 1);
    for (const room of rooms)
      await waitFor(() => numbers(room).join() === expected.join(), "every copy to hold the one order", CONVERGED_WITHIN_MS);
  }

  it("loses nothing acknowledged when the room's sequencer is killed mid-burst: its clients resume on another process", async () => {
    const [owner, second, third] = processes as [ServerProcess, ServerProcess, ServerProcess];
    const anaRoom = await open(viaProxy.replace(":0/", `:${proxy.port}/`), ana);
    const benRoom = await open(second.wsUrl, ben);
    const caiRoom = await open(third.wsUrl, cai);
    let killedAt = 0;
    const sent = await writeThrough(
      [
        { user: ana, room: anaRoom },
        { user: ben, room: benRoom },
        { user: cai, room: caiRoom },
      ],
      90,
      async () => {
        killedAt = Date.now();
        await owner.kill9();
        // The load balancer sends her reconnect to a live process.
        proxy.retarget(at(second));
      },
    );
    await waitFor(
      () => anaRoom.provider.isSynced && !anaRoom.provider.hasUnsyncedChanges,
      "ana's changes to be saved",
      CONVERGED_WITHIN_MS,
    );
    console.log(`[cluster faults] owner killed: every change acknowledged again ${Date.now() - killedAt} ms after the kill`);
    // The dead process answers nothing: the live ones must hold everything.
    processes.splice(processes.indexOf(owner), 1);
    await expectConverged([anaRoom, benRoom, caiRoom], sent);
  }, 180_000);

  it("loses nothing when Redis stops and starts again under load, says so in /healthz meanwhile, and resumes by itself", async () => {
    const [first, second] = processes as [ServerProcess, ServerProcess];
    const anaRoom = await open(first.wsUrl, ana);
    const benRoom = await open(second.wsUrl, ben);
    const health: number[] = [];
    const sent = await writeThrough(
      [
        { user: ana, room: anaRoom },
        { user: ben, room: benRoom },
      ],
      90,
      async () => {
        await redis.stop();
        await waitFor(async () => {
          const res = await fetch(`${second.url}/healthz`);
          health.push(res.status);
          return res.status === 503;
        }, "healthz to say Redis is unreachable");
        await redis.start();
      },
    );
    expect(health).toContain(503);
    await expectConverged([anaRoom, benRoom], sent);
    await waitFor(async () => (await fetch(`${second.url}/healthz`)).status === 200, "healthz to recover");
  }, 180_000);

  it("loses nothing when PostgreSQL restarts under load, and resumes by itself", async () => {
    const [first, second] = processes as [ServerProcess, ServerProcess];
    const anaRoom = await open(first.wsUrl, ana);
    const caiRoom = await open(second.wsUrl, cai);
    const sent = await writeThrough(
      [
        { user: ana, room: anaRoom },
        { user: cai, room: caiRoom },
      ],
      90,
      () => postgres.restart(),
    );
    await expectConverged([anaRoom, caiRoom], sent);
    for (const p of processes) expect(p.child.exitCode).toBeNull();
  }, 180_000);
});
