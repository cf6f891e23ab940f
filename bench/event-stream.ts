/**
 * Live events for REST clients (GET /api/v1/events): 1,000 open event streams while a Yjs client
 * sends messages at 100 a second into a room every stream's user is in. Prints the delivery
 * latency to event clients (p50/p99, message sent → message.created parsed) beside the latency to
 * a Yjs client in the same room, the server's CPU per message, and the server's memory per open
 * stream. Figures only; nothing passes or fails.
 *
 * The server writes every event to every stream; to keep the benchmark's own process from being
 * the bottleneck, BENCH_EVENT_PARSED of the streams are read with the `eventsource` package (and
 * timed), the rest are read as bytes and dropped. `npx tsx bench/event-stream.ts` runs it alone
 * (BENCH_BACKEND=postgres|pglite; BENCH_EVENT_STREAMS, BENCH_EVENT_RATE, BENCH_EVENT_MESSAGES,
 * BENCH_EVENT_USERS, BENCH_EVENT_PARSED).
 */
import http from "node:http";
import { pathToFileURL } from "node:url";
import { HocuspocusProvider, HocuspocusProviderWebsocket } from "@hocuspocus/provider";
import WebSocket from "ws";
import * as Y from "yjs";
import { newId } from "../shared/ids.ts";
import { sendMessage } from "../shared/room-doc/index.ts";
import { signUp, type TestUser } from "../test/helpers/api-client.ts";
import { type Backend, createThrowawayDatabase } from "../test/helpers/backends.ts";
import { openEvents } from "../test/helpers/event-client.ts";
import { spawnServer } from "../test/helpers/server-process.ts";
import { waitFor } from "../test/helpers/wait-for.ts";
import { cpuSeconds } from "./process-cpu.ts";
import { percentile, progress } from "./stats.ts";

const STREAMS = Number(process.env.BENCH_EVENT_STREAMS ?? 1000);
const RATE = Number(process.env.BENCH_EVENT_RATE ?? 100);
const MESSAGES = Number(process.env.BENCH_EVENT_MESSAGES ?? 1000);
// Streams are spread over this many users (a user may have several devices); all are in the room.
const USERS = Number(process.env.BENCH_EVENT_USERS ?? 50);
const PARSED = Math.min(STREAMS, Number(process.env.BENCH_EVENT_PARSED ?? 100));
const TEXT = "Great session today, same time tomorrow? Bring the resistance bands.";

/** What one run measured. */
export interface EventStreamFigures {
  backend: Backend;
  streams: number;
  eventP50: number;
  eventP99: number;
  yjsP50: number;
  yjsP99: number;
  cpuMsPerMessage: number;
  /** The benchmark's own process (the 1,000 clients) on the same cores: context for the latencies. */
  clientCpuMsPerMessage: number;
  heapBytesPerStream: number;
  rssBytesPerStream: number;
  bytesPerStreamPerMessage: number;
}

/** The server's heap in use and resident memory, from its /metrics (prom-client's process metrics). */
async function serverMemory(url: string): Promise<{ heap: number; rss: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)`, "m").exec(text)?.[1] ?? Number.NaN);
  return { heap: read("nodejs_heap_size_used_bytes"), rss: read("process_resident_memory_bytes") };
}

/** A stream read as bytes only: what a phone costs the server, without the benchmark parsing it. */
function rawStream(url: string, token: string, counted: { bytes: number; open: number }): () => void {
  const request = http.get(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${token}` }, agent: false }, (response) => {
    counted.open += 1;
    response.on("data", (chunk: Buffer) => {
      counted.bytes += chunk.length;
    });
  });
  request.on("error", () => {});
  return () => request.destroy();
}

const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - performance.now())));

export async function eventStreamFigures(backend: Backend): Promise<EventStreamFigures> {
  progress(`event streams on ${backend}: ${STREAMS} streams, ${MESSAGES} messages at ${RATE}/s`);
  const database = await createThrowawayDatabase(backend);
  const server = await spawnServer({
    ...(database.env as Record<string, string>),
    MESSAGES_PER_MINUTE: "1000000",
    MESSAGES_ABUSE_PER_TEN_MINUTES: "1000000",
    MESSAGES_PER_ROOM_PER_MINUTE: "1000000",
    LOG_LEVEL: "info",
  });
  const closers: Array<() => void> = [];
  try {
    const users: TestUser[] = [];
    for (let i = 0; i < USERS + 1; i++) users.push(await signUp(server.url, `runner${i}`));
    const [sender, ...listeners] = users as [TestUser, ...TestUser[]];
    const room = (
      await sender.api.post("/api/v1/chat/rooms", { type: "group", name: "Bench", participant_ids: listeners.map((u) => u.id) })
    ).body;

    // The sender and one Yjs reader, as the web app would be.
    const yjs = [sender, listeners[0] as TestUser].map((user) => {
      const socket = new HocuspocusProviderWebsocket({ url: server.wsUrl, WebSocketPolyfill: WebSocket });
      const doc = new Y.Doc();
      const provider = new HocuspocusProvider({ websocketProvider: socket, name: `room:${room.id}`, token: user.token, document: doc });
      provider.attach();
      closers.push(() => {
        provider.destroy();
        socket.destroy();
      });
      return { user, doc, provider };
    });
    await waitFor(() => yjs.every((c) => c.provider.isSynced), "the Yjs clients to sync", 60_000);

    const before = await serverMemory(server.url);
    const sentAt = new Map<string, number>();
    const eventLatencies: number[] = [];
    const yjsLatencies: number[] = [];
    const raw = { bytes: 0, open: 0 };
    const parsed = [];
    for (let i = 0; i < STREAMS; i++) {
      const user = listeners[i % listeners.length] as TestUser;
      if (i < PARSED) {
        const events = openEvents(server.url, user.token);
        events.source.addEventListener("message.created", (message) => {
          const at = sentAt.get((JSON.parse(message.data) as { id: string }).id);
          if (at !== undefined) eventLatencies.push(performance.now() - at);
        });
        closers.push(() => events.close());
        parsed.push(events.opened);
      } else {
        closers.push(rawStream(server.url, user.token, raw));
      }
    }
    await Promise.all(parsed);
    await waitFor(() => raw.open === STREAMS - PARSED, "every stream to open", 120_000);
    // Let the server settle after a thousand connections arrived at once.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const open = await serverMemory(server.url);
    progress(`${STREAMS} streams open`);

    const reader = yjs[1] as (typeof yjs)[number];
    reader.doc.getMap("seq").observe((event) => {
      const now = performance.now();
      for (const key of event.keysChanged) {
        const at = sentAt.get(key);
        if (at !== undefined) yjsLatencies.push(now - at);
      }
    });
    const writer = yjs[0] as (typeof yjs)[number];
    const bytesBefore = raw.bytes;
    const cpuBefore = cpuSeconds(server.child.pid as number);
    const clientCpuBefore = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < MESSAGES; i++) {
      await sleepUntil(start + (i * 1000) / RATE);
      const id = newId();
      sentAt.set(id, performance.now());
      sendMessage(writer.doc, { id, sender_id: writer.user.id, content: `${TEXT} ${i}` });
    }
    await waitFor(() => eventLatencies.length >= MESSAGES * PARSED, "every message on every timed stream", 300_000);
    await waitFor(() => yjsLatencies.length >= MESSAGES, "every message at the Yjs reader", 60_000);
    const cpuAfter = cpuSeconds(server.child.pid as number);
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const rawStreams = STREAMS - PARSED;
    return {
      backend,
      streams: STREAMS,
      eventP50: percentile(eventLatencies, 50),
      eventP99: percentile(eventLatencies, 99),
      yjsP50: percentile(yjsLatencies, 50),
      yjsP99: percentile(yjsLatencies, 99),
      cpuMsPerMessage: ((cpuAfter - cpuBefore) * 1000) / MESSAGES,
      clientCpuMsPerMessage: (clientCpu.user + clientCpu.system) / 1000 / MESSAGES,
      heapBytesPerStream: (open.heap - before.heap) / STREAMS,
      rssBytesPerStream: (open.rss - before.rss) / STREAMS,
      bytesPerStreamPerMessage: rawStreams > 0 ? (raw.bytes - bytesBefore) / rawStreams / MESSAGES : Number.NaN,
    };
  } finally {
    for (const close of closers) close();
    await server.stop();
    await database.drop();
  }
}

/** Print one table of the runs. */
export function printEventStreamFigures(results: EventStreamFigures[]): void {
  const flush = process.env.EVENTS_FLUSH_WINDOW_MS ? `, EVENTS_FLUSH_WINDOW_MS=${process.env.EVENTS_FLUSH_WINDOW_MS}` : "";
  console.log(
    `\nLive event streams: ${STREAMS} open (${PARSED} parsed and timed), ${MESSAGES} messages at ${RATE}/s from a Yjs client${flush}\n`,
  );
  console.table(
    results.map((r) => ({
      backend: r.backend,
      "event p50 ms": r.eventP50.toFixed(1),
      "event p99 ms": r.eventP99.toFixed(1),
      "Yjs p50 ms": r.yjsP50.toFixed(1),
      "Yjs p99 ms": r.yjsP99.toFixed(1),
      "server CPU ms/msg": r.cpuMsPerMessage.toFixed(2),
      "bench clients CPU ms/msg": r.clientCpuMsPerMessage.toFixed(2),
      "server heap KiB/stream": (r.heapBytesPerStream / 1024).toFixed(1),
      "server RSS KiB/stream": (r.rssBytesPerStream / 1024).toFixed(1),
      "bytes/stream/msg": r.bytesPerStreamPerMessage.toFixed(0),
    })),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const backends: Backend[] = process.env.BENCH_BACKEND ? [process.env.BENCH_BACKEND as Backend] : ["postgres", "pglite"];
  const results: EventStreamFigures[] = [];
  for (const backend of backends) results.push(await eventStreamFigures(backend));
  printEventStreamFigures(results);
  process.exit(0);
}
