/**
 * The hot path side by side with the peer it must beat, in one run: the project on PostgreSQL and
 * on PGlite, stock Hocuspocus + @hocuspocus/extension-database on the same PostgreSQL, and a plain
 * ws relay as the floor. Real `@hocuspocus/provider` clients in this process, each server in its
 * own; server CPU is user + sys of the server's process (PGlite runs inside it, PostgreSQL does
 * not, for either row). Figures only.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import readline from "node:readline";
import WebSocket from "ws";
import * as Y from "yjs";
import { openPglite } from "../server/db/pglite.ts";
import { openPostgres } from "../server/db/postgres.ts";
import { newId } from "../shared/ids.ts";
import { sendMessage } from "../shared/room-doc/index.ts";
import { signUp } from "../test/helpers/api-client.ts";
import { type Backend, createThrowawayDatabase, type ThrowawayDatabase } from "../test/helpers/backends.ts";
import { spawnServer } from "../test/helpers/server-process.ts";
import { waitFor } from "../test/helpers/wait-for.ts";
import { cpuSeconds } from "./process-cpu.ts";
import { connect, type Member, open, RAISED_LIMITS, sleepUntil, TEXT, watchArrivals, watchReaders } from "./room-clients.ts";
import { percentile, progress } from "./stats.ts";

/** What one scenario printed for one server. */
export interface HotPathFigures {
  server: string;
  cpuMicrosPerMessage: number;
  deliveredPerSecond: number;
  p50: number;
  p99: number;
  logBytesPerMessage: number | null;
  clientUpdateBytes: number;
  burstEntriesPerCommit: number | null;
  queriesPerMessage: number | null;
}

type Target = "project + postgres" | "project + pglite" | "stock hocuspocus + extension-database (postgres)";

/** A running server of one kind, and how to make rooms and members on it. */
interface Running {
  wsUrl: string;
  pid: number;
  /** `members` users and a room they all belong to: its document name and each member's token and id. */
  room(members: Array<{ token: string; id: string }>): Promise<string>;
  users(n: number): Promise<Array<{ token: string; id: string }>>;
  counters(): Promise<{ commits: number; entries: number; statements: number } | null>;
  logBytesBetween(since: Date, until: Date): Promise<number | null>;
  stop(): Promise<void>;
}

async function startTarget(target: Target): Promise<Running> {
  if (target === "stock hocuspocus + extension-database (postgres)") return startPeer();
  const backend: Backend = target === "project + postgres" ? "postgres" : "pglite";
  const database = await createThrowawayDatabase(backend);
  const server = await spawnServer({ ...(database.env as Record<string, string>), ...RAISED_LIMITS });
  return {
    wsUrl: server.wsUrl,
    pid: server.child.pid as number,
    async users(n) {
      const made = [];
      for (let i = 0; i < n; i++) made.push(await signUp(server.url, `athlete${i}`));
      return made;
    },
    async room(members) {
      const [owner, ...rest] = members;
      const res = await fetch(`${server.url}/api/v1/chat/rooms`, {
        method: "POST",
        headers: { authorization: `Bearer ${owner?.token}`, "content-type": "application/json" },
        body: JSON.stringify({ type: "group", name: "Bench", participant_ids: rest.map((u) => u.id) }),
      });
      return `room:${((await res.json()) as { id: string }).id}`;
    },
    async counters() {
      const health = (await (await fetch(`${server.url}/api/v1/health`)).json()) as {
        update_log: { commits: number; entries: number };
        database: { statements: number };
      };
      return { commits: health.update_log.commits, entries: health.update_log.entries, statements: health.database.statements };
    },
    logBytesBetween: (since, until) => logBytesBetween(backend, database, since, until, "document_updates", "update"),
    async stop() {
      await server.stop();
      await database.drop();
    },
  };
}

async function startPeer(): Promise<Running> {
  const database = await createThrowawayDatabase("postgres");
  const child = spawn(process.execPath, ["--import", "tsx", "bench/peer-server.ts"], {
    env: { ...process.env, DATABASE_URL: database.env.DATABASE_URL },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await portOf(child);
  return {
    wsUrl: `ws://127.0.0.1:${port}`,
    pid: child.pid as number,
    users: async (n) => Array.from({ length: n }, () => ({ token: "peer", id: randomUUID() })),
    room: async () => `room:${randomUUID()}`,
    counters: async () => null,
    logBytesBetween: async () => null,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
      await database.drop();
    },
  };
}

function portOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    readline
      .createInterface({ input: child.stdout as NodeJS.ReadableStream })
      .once("line", (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
}

async function logBytesBetween(
  backend: Backend,
  database: ThrowawayDatabase,
  since: Date,
  until: Date,
  table: string,
  column: string,
): Promise<number> {
  const db =
    backend === "postgres" && database.env.DATABASE_URL ? openPostgres(database.env.DATABASE_URL) : await openPglite(database.env.DATA_DIR);
  try {
    const { rows } = await db.query<{ bytes: number | string }>(
      `SELECT COALESCE(sum(length(${column})), 0) AS bytes FROM ${table} WHERE created_at BETWEEN $1 AND $2`,
      [since.toISOString(), until.toISOString()],
    );
    return Number(rows[0]?.bytes ?? 0);
  } finally {
    await db.close();
  }
}

/**
 * Rooms of `perRoom` members each (member 0 writes, the others read), `messages` in all at
 * `ratePerSecond` spread round-robin over the rooms, then a burst of 20 per writer at once.
 */
async function scenario(
  target: Target,
  shape: { rooms: number; perRoom: number; users: number; messages: number; ratePerSecond: number },
): Promise<HotPathFigures> {
  progress(`${target}: ${shape.rooms} room(s) of ${shape.perRoom}, ${shape.messages} messages at ${shape.ratePerSecond}/s`);
  const running = await startTarget(target);
  const users = await running.users(shape.users);
  const members = users.map((u) => connect(running.wsUrl, u));
  const rooms: Array<{ name: string; writer: Member; writerDoc: Y.Doc; readers: Y.Doc[] }> = [];
  for (let r = 0; r < shape.rooms; r++) {
    const inRoom = Array.from({ length: shape.perRoom }, (_, i) => members[(r * shape.perRoom + i) % members.length] as Member);
    const name = await running.room(inRoom.map((m) => m.user));
    const [writer, ...readers] = inRoom as [Member, ...Member[]];
    rooms.push({ name, writer, writerDoc: open(writer, name), readers: readers.map((m) => open(m, name)) });
  }
  const providers = members.flatMap((m) => [...m.docs.values()].map((d) => d.provider));
  await waitFor(() => providers.every((p) => p.isSynced), "every provider to sync", 120_000);

  const arrivals = watchReaders(rooms.flatMap((room) => room.readers));
  const { sentAt, latencies } = arrivals;
  // The size of one message's update as the client sends it, to compare the log against.
  const sample = new Y.Doc();
  const before = Y.encodeStateVector(sample);
  sendMessage(sample, { id: newId(), sender_id: newId(), content: TEXT });
  const clientUpdateBytes = Y.encodeStateAsUpdate(sample, before).length;

  const countersBefore = await running.counters();
  const startedAt = new Date();
  const cpuBefore = cpuSeconds(running.pid);
  const start = performance.now();
  for (let i = 0; i < shape.messages; i++) {
    await sleepUntil(start + (i * 1000) / shape.ratePerSecond);
    const room = rooms[i % rooms.length] as (typeof rooms)[number];
    const id = newId();
    sentAt.set(id, performance.now());
    sendMessage(room.writerDoc, { id, sender_id: room.writer.user.id, content: TEXT });
  }
  const expected = shape.messages * (shape.perRoom - 1);
  await waitFor(() => arrivals.count >= expected, "every message at every reader", 300_000);
  await waitFor(() => providers.every((p) => !p.hasUnsyncedChanges), "acknowledgements", 120_000);
  const cpuAfter = cpuSeconds(running.pid);
  const countersAfter = await running.counters();
  const endedAt = new Date();

  // A burst, as when phones come back online with a backlog: every writer sends 20 at once.
  for (const room of rooms) {
    for (let i = 0; i < 20; i++) sendMessage(room.writerDoc, { id: newId(), sender_id: room.writer.user.id, content: TEXT });
  }
  await waitFor(() => providers.every((p) => !p.hasUnsyncedChanges), "the burst to be acknowledged", 120_000);
  const countersBurst = await running.counters();

  for (const m of members) {
    for (const { provider } of m.docs.values()) provider.destroy();
    m.socket.destroy();
  }
  const logBytes = await running.logBytesBetween(startedAt, endedAt).catch(() => null);
  await running.stop();
  const ratio = (a: number, b: number) => a / Math.max(1, b);
  return {
    server: target,
    cpuMicrosPerMessage: ((cpuAfter - cpuBefore) * 1e6) / shape.messages,
    deliveredPerSecond: (shape.messages * 1000) / Math.max(1, arrivals.last - start),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    logBytesPerMessage: logBytes === null ? null : logBytes / shape.messages,
    clientUpdateBytes,
    burstEntriesPerCommit:
      countersBurst && countersAfter
        ? ratio(countersBurst.entries - countersAfter.entries, countersBurst.commits - countersAfter.commits)
        : null,
    queriesPerMessage: countersAfter && countersBefore ? (countersAfter.statements - countersBefore.statements) / shape.messages : null,
  };
}

/** The floor: the same update bytes relayed by a plain ws server, one writer and `readers` readers. */
async function relayScenario(readers: number, messages: number, ratePerSecond: number): Promise<HotPathFigures> {
  progress(`plain ws relay: ${messages} messages at ${ratePerSecond}/s`);
  const child = spawn(process.execPath, ["--import", "tsx", "bench/ws-floor-server.ts"], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await portOf(child);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let arrivals = 0;
  let lastArrival = 0;
  const sockets = await Promise.all(
    Array.from({ length: readers + 1 }, async (_, i) => {
      const doc = new Y.Doc();
      if (i > 0)
        watchArrivals(doc, sentAt, latencies, () => {
          arrivals++;
          lastArrival = performance.now();
        });
      const socket = new WebSocket(`ws://127.0.0.1:${port}`);
      socket.binaryType = "nodebuffer";
      socket.on("message", (data: Buffer) => Y.applyUpdate(doc, new Uint8Array(data)));
      await new Promise((resolve) => socket.once("open", resolve));
      return { doc, socket };
    }),
  );
  const writer = sockets[0] as (typeof sockets)[number];
  writer.doc.on("update", (update: Uint8Array) => writer.socket.send(update));
  const cpuBefore = cpuSeconds(child.pid as number);
  const start = performance.now();
  const sender = newId();
  for (let i = 0; i < messages; i++) {
    await sleepUntil(start + (i * 1000) / ratePerSecond);
    const id = newId();
    sentAt.set(id, performance.now());
    sendMessage(writer.doc, { id, sender_id: sender, content: TEXT });
  }
  await waitFor(() => arrivals >= messages * readers, "every relayed message", 120_000);
  const cpuAfter = cpuSeconds(child.pid as number);
  for (const s of sockets) s.socket.close();
  child.kill("SIGTERM");
  return {
    server: "plain ws relay (floor)",
    cpuMicrosPerMessage: ((cpuAfter - cpuBefore) * 1e6) / messages,
    deliveredPerSecond: (messages * 1000) / Math.max(1, lastArrival - start),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    logBytesPerMessage: null,
    clientUpdateBytes: 0,
    burstEntriesPerCommit: null,
    queriesPerMessage: null,
  };
}

function print(title: string, rows: HotPathFigures[]): void {
  console.log(`\n${title}\n`);
  console.table(
    rows.map((r) => ({
      server: r.server,
      "CPU µs/msg": r.cpuMicrosPerMessage.toFixed(0),
      "delivered msg/s": r.deliveredPerSecond.toFixed(0),
      "p50 ms": r.p50.toFixed(1),
      "p99 ms": r.p99.toFixed(1),
      "log bytes/msg":
        r.logBytesPerMessage === null
          ? "-"
          : `${r.logBytesPerMessage.toFixed(0)} (${(r.logBytesPerMessage / r.clientUpdateBytes).toFixed(2)}x)`,
      "burst entries/commit": r.burstEntriesPerCommit === null ? "-" : r.burstEntriesPerCommit.toFixed(1),
      "queries/msg": r.queriesPerMessage === null ? "-" : r.queriesPerMessage.toFixed(2),
    })),
  );
}

const ALL_TARGETS: Target[] = ["stock hocuspocus + extension-database (postgres)", "project + postgres", "project + pglite"];
// BENCH_TARGETS=postgres,pglite,stock picks rows (all by default).
const TARGETS = ALL_TARGETS.filter((t) => {
  const chosen = process.env.BENCH_TARGETS?.split(",");
  return !chosen || chosen.some((c) => t.includes(c));
});

/** The two scenarios: one busy room (1 writer, 10 readers, 300/s) and 100 rooms of 3 (1,000/s). */
export async function hotPathFigures(): Promise<void> {
  const oneRoom = Number(process.env.BENCH_ONE_ROOM_MESSAGES ?? 3000);
  const oneRoomRate = Number(process.env.BENCH_ONE_ROOM_RATE ?? 300);
  const rows: HotPathFigures[] = [];
  for (const target of TARGETS)
    rows.push(await scenario(target, { rooms: 1, perRoom: 11, users: 11, messages: oneRoom, ratePerSecond: oneRoomRate }));
  rows.push(await relayScenario(10, oneRoom, oneRoomRate));
  print(`One room: 1 writer, 10 readers, ${oneRoom} messages of 80 characters at ${oneRoomRate}/s`, rows);

  const manySeconds = Number(process.env.BENCH_MANY_ROOMS_SECONDS ?? 10);
  const manyRate = Number(process.env.BENCH_MANY_ROOMS_RATE ?? 1000);
  const many: HotPathFigures[] = [];
  for (const target of TARGETS) {
    many.push(await scenario(target, { rooms: 100, perRoom: 3, users: 60, messages: manySeconds * manyRate, ratePerSecond: manyRate }));
  }
  print(`Many rooms: 100 rooms of 3 (60 users, 5 rooms each), ${manyRate} messages/s in all for ${manySeconds} s`, many);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await hotPathFigures();
  process.exit(0);
}
