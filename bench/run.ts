/**
 * `npm run bench`: the server's cost per chat message, against a plain WebSocket relay as the floor.
 *
 * One room, 10 connected clients taking turns to send at a fixed rate, persistence on. For each
 * backend and for 0 and 20,000 messages of prior history it prints: server CPU time per message
 * (user + sys of the server process / messages: on 2 cores this, not wall-clock throughput, is the
 * server's cost), p50/p99 delivery latency to the other 9 clients, and document bytes persisted per
 * message (update log + snapshots written during the run). Then the hot path, media, the social
 * graph, several processes (bench/cluster.ts), the live event streams (bench/event-stream.ts) and
 * long-lived rooms (bench/long-lived-rooms.ts). Figures only; nothing passes or fails.
 */
import { spawn } from "node:child_process";
import readline from "node:readline";
import { HocuspocusProvider, HocuspocusProviderWebsocket } from "@hocuspocus/provider";
import WebSocket from "ws";
import * as Y from "yjs";
import { openPglite } from "../server/db/pglite.ts";
import { openPostgres } from "../server/db/postgres.ts";
import { newId } from "../shared/ids.ts";
import { sendMessage } from "../shared/room-doc/index.ts";
import { signUp } from "../test/helpers/api-client.ts";
import { type Backend, createThrowawayDatabase } from "../test/helpers/backends.ts";
import { spawnServer } from "../test/helpers/server-process.ts";
import { waitFor } from "../test/helpers/wait-for.ts";
import { clusterFigures } from "./cluster.ts";
import { type EventStreamFigures, eventStreamFigures, printEventStreamFigures } from "./event-stream.ts";
import { hotPathFigures } from "./hot-path.ts";
import { longLivedRoomFigures, printLongLivedRoomFigures } from "./long-lived-rooms.ts";
import { mediaFigures } from "./media.ts";
import { cpuSeconds } from "./process-cpu.ts";
import { socialGraphFigures } from "./social-graph.ts";
import { percentile, progress } from "./stats.ts";
import { validatorMicrosPerMessage } from "./validator.ts";

const CLIENTS = 10;
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 600);
const RATE_PER_SECOND = Number(process.env.BENCH_RATE ?? 100);
const HISTORIES = (process.env.BENCH_HISTORIES ?? "0,20000").split(",").map(Number);
const BACKENDS: Backend[] = process.env.BENCH_BACKEND ? [process.env.BENCH_BACKEND as Backend] : ["postgres", "pglite"];
const TEXT = "Great session today, same time tomorrow? Bring the resistance bands.";

interface Figures {
  scenario: string;
  history: number;
  cpuMsPerMessage: number;
  p50: number;
  p99: number;
  logBytesPerMessage: number | null;
  snapshotBytesPerMessage: number | null;
  entriesPerCommit: number | null;
  burstEntriesPerCommit: number | null;
}

const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - performance.now())));

/** Record, per receiving doc, when each message first appears. */
function watchArrivals(doc: Y.Doc, sentAt: Map<string, number>, latencies: number[]): void {
  doc.getMap("messages").observe((event) => {
    const now = performance.now();
    for (const [key, change] of event.changes.keys) {
      const at = sentAt.get(key);
      if (change.action === "add" && at !== undefined) latencies.push(now - at);
    }
  });
}

async function sendAtRate(send: (i: number) => void): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < MESSAGES; i++) {
    await sleepUntil(start + (i * 1000) / RATE_PER_SECOND);
    send(i);
  }
}

/** What the server judges and counts: production does both; the others attribute the cost. */
type Checks = "validation + rate limits" | "validation only" | "neither";

async function chatScenario(backend: Backend, history: number, checks: Checks = "validation + rate limits"): Promise<Figures> {
  const scenario = `hocuspocus + ${backend} (${checks})`;
  progress(`${scenario}, history ${history}`);
  const database = await createThrowawayDatabase(backend);
  // The history is seeded by one client at full speed: lift the per-user message limits.
  const server = await spawnServer({
    ...(database.env as Record<string, string>),
    MESSAGES_PER_MINUTE: "1000000",
    MESSAGES_ABUSE_PER_TEN_MINUTES: "1000000",
    MESSAGES_PER_ROOM_PER_MINUTE: "1000000",
    UNSAFE_SKIP_UPDATE_VALIDATION: checks === "neither" ? "true" : "false",
    UNSAFE_SKIP_MESSAGE_RATE_LIMITS: checks === "validation + rate limits" ? "false" : "true",
  });
  const users = [];
  for (let i = 0; i < CLIENTS; i++) users.push(await signUp(server.url, `athlete${i}`));
  const [owner, ...rest] = users;
  if (!owner) throw new Error("no users");
  const room = (
    await owner.api.post("/api/v1/chat/rooms", {
      type: "group",
      name: "Bench",
      participant_ids: rest.map((u) => u.id),
    })
  ).body;

  const clients = users.map((user) => {
    const socket = new HocuspocusProviderWebsocket({
      url: server.wsUrl,
      WebSocketPolyfill: WebSocket,
    });
    const doc = new Y.Doc();
    const provider = new HocuspocusProvider({
      websocketProvider: socket,
      name: `room:${room.id}`,
      token: user.token,
      document: doc,
    });
    provider.attach();
    return { user, socket, doc, provider };
  });
  await waitFor(() => clients.every((c) => c.provider.isSynced), "clients to sync", 60_000);
  progress("clients synced");

  const first = clients[0];
  if (!first) throw new Error("no clients");
  for (let done = 0; done < history; done += 500) {
    first.doc.transact(() => {
      for (let i = done; i < Math.min(history, done + 500); i++)
        sendMessage(first.doc, { id: newId(), sender_id: first.user.id, content: `${TEXT} #${i}` });
    });
  }
  if (history > 0) {
    // Messages, not sequence numbers: without validation ("neither") the server numbers nothing.
    await waitFor(() => clients.every((c) => c.doc.getMap("messages").size >= history), "history to reach every client", 120_000);
  }

  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  for (const c of clients) watchArrivals(c.doc, sentAt, latencies);
  const logStats = async () =>
    (await (await fetch(`${server.url}/api/v1/health`)).json()).update_log as { commits: number; entries: number };
  const statsBefore = await logStats();
  const startedAt = new Date();
  const cpuBefore = cpuSeconds(server.child.pid as number);
  await sendAtRate((i) => {
    const c = clients[i % CLIENTS] as (typeof clients)[number];
    const id = newId();
    sentAt.set(id, performance.now());
    sendMessage(c.doc, { id, sender_id: c.user.id, content: `${TEXT} ${i}` });
  });
  await waitFor(() => latencies.length >= MESSAGES * (CLIENTS - 1), "every message at every client", 120_000);
  await waitFor(() => clients.every((c) => !c.provider.hasUnsyncedChanges), "acknowledgements", 60_000);
  const cpuAfter = cpuSeconds(server.child.pid as number);
  const statsAfter = await logStats();
  const endedAt = new Date();

  // A burst, as when phones come back online with a backlog: every client sends 20 at once.
  const burstIds: string[] = [];
  for (const c of clients) {
    for (let i = 0; i < 20; i++) {
      const id = newId();
      burstIds.push(id);
      sendMessage(c.doc, { id, sender_id: c.user.id, content: `${TEXT} burst ${i}` });
    }
  }
  await waitFor(() => clients.every((c) => !c.provider.hasUnsyncedChanges), "the burst to be acknowledged", 60_000);
  const statsBurst = await logStats();

  for (const c of clients) {
    c.provider.destroy();
    c.socket.destroy();
  }
  await server.stop();
  const bytes = await persistedBytesBetween(backend, database.env, startedAt, endedAt);
  await database.drop();
  const sorted = latencies.sort((a, b) => a - b);
  return {
    scenario,
    history,
    cpuMsPerMessage: ((cpuAfter - cpuBefore) * 1000) / MESSAGES,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    logBytesPerMessage: bytes.log / MESSAGES,
    snapshotBytesPerMessage: bytes.snapshots / MESSAGES,
    entriesPerCommit: (statsAfter.entries - statsBefore.entries) / Math.max(1, statsAfter.commits - statsBefore.commits),
    burstEntriesPerCommit: (statsBurst.entries - statsAfter.entries) / Math.max(1, statsBurst.commits - statsAfter.commits),
  };
}

/**
 * Document bytes written between `since` and `until`, read after the server stopped: update-log
 * entries (the per-message cost) and snapshots (compaction, amortized over the messages it folds).
 */
async function persistedBytesBetween(
  backend: Backend,
  env: { DATABASE_URL?: string; DATA_DIR: string },
  since: Date,
  until: Date,
): Promise<{ log: number; snapshots: number }> {
  const db = backend === "postgres" && env.DATABASE_URL ? openPostgres(env.DATABASE_URL) : await openPglite(env.DATA_DIR);
  try {
    const { rows } = await db.query<{ log: number | string; snapshots: number | string }>(
      `SELECT (SELECT COALESCE(sum(length(update)), 0) FROM document_updates WHERE created_at BETWEEN $1 AND $2) AS log,
              (SELECT COALESCE(sum(length(state)), 0) FROM document_snapshots WHERE created_at BETWEEN $1 AND $2) AS snapshots`,
      [since.toISOString(), until.toISOString()],
    );
    return { log: Number(rows[0]?.log ?? 0), snapshots: Number(rows[0]?.snapshots ?? 0) };
  } finally {
    await db.close();
  }
}

/** The floor: the same update bytes relayed by a plain ws server with no persistence. */
async function floorScenario(history: number): Promise<Figures> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/ws-floor-server.ts"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve) => {
    readline.createInterface({ input: child.stdout }).once("line", (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  const historyDoc = new Y.Doc();
  historyDoc.transact(() => {
    for (let i = 0; i < history; i++) sendMessage(historyDoc, { id: newId(), sender_id: newId(), content: `${TEXT} #${i}` });
  });
  const historyState = Y.encodeStateAsUpdate(historyDoc);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const clients = await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      const doc = new Y.Doc();
      Y.applyUpdate(doc, historyState);
      watchArrivals(doc, sentAt, latencies);
      const socket = new WebSocket(`ws://127.0.0.1:${port}`);
      socket.binaryType = "nodebuffer";
      socket.on("message", (data: Buffer) => Y.applyUpdate(doc, new Uint8Array(data)));
      await new Promise((resolve) => socket.once("open", resolve));
      return { doc, socket, userId: newId() };
    }),
  );
  const cpuBefore = cpuSeconds(child.pid as number);
  await sendAtRate((i) => {
    const c = clients[i % CLIENTS] as (typeof clients)[number];
    const id = newId();
    sentAt.set(id, performance.now());
    const onUpdate = (update: Uint8Array) => c.socket.send(update);
    c.doc.once("update", onUpdate);
    sendMessage(c.doc, { id, sender_id: c.userId, content: `${TEXT} ${i}` });
  });
  await waitFor(() => latencies.length >= MESSAGES * (CLIENTS - 1), "every relayed message", 60_000);
  const cpuAfter = cpuSeconds(child.pid as number);
  for (const c of clients) c.socket.close();
  child.kill("SIGTERM");
  const sorted = latencies.sort((a, b) => a - b);
  return {
    scenario: "plain ws relay (floor)",
    history,
    cpuMsPerMessage: ((cpuAfter - cpuBefore) * 1000) / MESSAGES,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    logBytesPerMessage: null,
    snapshotBytesPerMessage: null,
    entriesPerCommit: null,
    burstEntriesPerCommit: null,
  };
}

// The hot path beside stock Hocuspocus + extension-database, one busy room and many rooms (BENCH_HOT_PATH=0 skips).
if (process.env.BENCH_HOT_PATH !== "0") await hotPathFigures();

const results: Figures[] = [];
for (const history of HISTORIES) {
  for (const backend of BACKENDS) results.push(await chatScenario(backend, history));
  // The same run without counting rates, then without judging either: what each costs.
  if (BACKENDS.includes("postgres")) {
    results.push(await chatScenario("postgres", history, "validation only"));
    results.push(await chatScenario("postgres", history, "neither"));
  }
  results.push(await floorScenario(history));
}
console.log(`\n${MESSAGES} messages at ${RATE_PER_SECOND}/s, ${CLIENTS} clients in one room (delivery to the other ${CLIENTS - 1})\n`);
console.table(
  results.map((r) => ({
    scenario: r.scenario,
    "prior history": r.history,
    "server CPU ms/msg": r.cpuMsPerMessage.toFixed(3),
    "p50 ms": r.p50.toFixed(1),
    "p99 ms": r.p99.toFixed(1),
    "log bytes/msg": r.logBytesPerMessage === null ? "-" : r.logBytesPerMessage.toFixed(0),
    "snapshot bytes/msg": r.snapshotBytesPerMessage === null ? "-" : r.snapshotBytesPerMessage.toFixed(0),
    "log entries/commit": r.entriesPerCommit === null ? "-" : r.entriesPerCommit.toFixed(2),
    "burst entries/commit": r.burstEntriesPerCommit === null ? "-" : r.burstEntriesPerCommit.toFixed(2),
  })),
);
console.log("\nThe validator alone (in-process, CPU to judge one message update):");
for (const history of HISTORIES) {
  console.log(`  ${history} messages of history: ${validatorMicrosPerMessage(history).toFixed(1)} µs CPU per message`);
}

// Media: uploads (photo vs plain file), thumbnail reads and a cleanup pass (BENCH_MEDIA=0 skips).
if (process.env.BENCH_MEDIA !== "0") for (const backend of BACKENDS) await mediaFigures(backend);

// The social graph: search and suggestions on 100k users and 1M friendships (BENCH_SOCIAL=0 skips).
if (process.env.BENCH_SOCIAL !== "0") for (const backend of BACKENDS) await socialGraphFigures(backend);

// Several processes over one PostgreSQL and Redis: many rooms on 1 and 2 processes, delivery across processes (BENCH_CLUSTER=0 skips).
if (process.env.BENCH_CLUSTER !== "0") await clusterFigures();

// Live events for REST clients: 1,000 open event streams, messages at 100/s (BENCH_EVENTS=0 skips).
if (process.env.BENCH_EVENTS !== "0") {
  const figures: EventStreamFigures[] = [];
  for (const backend of BACKENDS) figures.push(await eventStreamFigures(backend));
  printEventStreamFigures(figures);
}
// Long-lived rooms: cold open, bytes to a new device and REST pages at 1,000 / 10,000 / 100,000 messages (BENCH_LONG_ROOMS=0 skips).
if (process.env.BENCH_LONG_ROOMS !== "0") printLongLivedRoomFigures(await longLivedRoomFigures());
process.exit(0);
