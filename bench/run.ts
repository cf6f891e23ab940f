/**
 * `npm run bench`: the server's cost per chat message, against a plain WebSocket relay as the floor.
 *
 * One room, 10 connected clients taking turns to send at a fixed rate, persistence on. For each
 * backend and for 0 and 20,000 messages of prior history it prints: server CPU time per message
 * (user + sys of the server process / messages: on 2 cores this, not wall-clock throughput, is the
 * server's cost), p50/p99 delivery latency to the other 9 clients, and document bytes persisted per
 * message (update log + snapshots written during the run). Figures only; nothing passes or fails.
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
import { cpuSeconds } from "./process-cpu.ts";

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
  bytesPerMessage: number | null;
}

const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - performance.now())));
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

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

const progress = (message: string) => process.stderr.write(`  ${message}\n`);

async function chatScenario(backend: Backend, history: number): Promise<Figures> {
  progress(`hocuspocus + ${backend}, history ${history}`);
  const database = await createThrowawayDatabase(backend);
  const server = await spawnServer(database.env as Record<string, string>);
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
    await waitFor(() => clients.every((c) => c.doc.getMap("seq").size >= history), "history to reach every client", 120_000);
  }

  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  for (const c of clients) watchArrivals(c.doc, sentAt, latencies);
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

  for (const c of clients) {
    c.provider.destroy();
    c.socket.destroy();
  }
  await server.stop();
  const bytes = await persistedBytesSince(backend, database.env, startedAt);
  await database.drop();
  const sorted = latencies.sort((a, b) => a - b);
  return {
    scenario: `hocuspocus + ${backend}`,
    history,
    cpuMsPerMessage: ((cpuAfter - cpuBefore) * 1000) / MESSAGES,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    bytesPerMessage: bytes / MESSAGES,
  };
}

/** Document bytes written since `since`: update-log entries and snapshots (after the server stopped). */
async function persistedBytesSince(backend: Backend, env: { DATABASE_URL?: string; DATA_DIR: string }, since: Date): Promise<number> {
  const db = backend === "postgres" && env.DATABASE_URL ? openPostgres(env.DATABASE_URL) : await openPglite(env.DATA_DIR);
  try {
    const { rows } = await db.query<{ bytes: number | string | null }>(
      `SELECT (SELECT COALESCE(sum(length(update)), 0) FROM document_updates WHERE created_at >= $1)
            + (SELECT COALESCE(sum(length(state)), 0) FROM document_snapshots WHERE created_at >= $1) AS bytes`,
      [since.toISOString()],
    );
    return Number(rows[0]?.bytes ?? 0);
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
    bytesPerMessage: null,
  };
}

const results: Figures[] = [];
for (const history of HISTORIES) {
  for (const backend of BACKENDS) results.push(await chatScenario(backend, history));
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
    "bytes persisted/msg": r.bytesPerMessage === null ? "-" : r.bytesPerMessage.toFixed(0),
  })),
);
process.exit(0);
