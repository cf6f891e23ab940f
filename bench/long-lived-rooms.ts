/**
 * Long-lived rooms: what opening and reading a room costs as its history grows (issue "Long-lived
 * rooms"). For each size, one room is filled over the WebSocket (500 messages per update, as a
 * client with a backlog sends), the server is restarted so every open is cold, and then:
 *
 * - the latest REST page (`limit=50`): the first request of the fresh process, then warm (median of 5);
 * - a page 90% of the way back (`before` a tenth of the way up the sequence), warm;
 * - after another restart, a fresh Yjs client: time until synced and the bytes its socket received;
 * - the server's resident memory before that open and with the room loaded.
 *
 * Each size runs with the room as one document (SEGMENT_MESSAGES=0, today's default) and as a chain
 * of 1,000-message segments, where a fresh device opens the head and the live segment.
 *
 * Run alone: `npx tsx bench/long-lived-rooms.ts` (BENCH_ROOM_SIZES=1000,10000,100000,
 * BENCH_SEGMENT_MESSAGES=0,1000, BENCH_ROOMS_BACKEND=postgres|pglite). Figures only.
 */
import { readFileSync } from "node:fs";
import { HocuspocusProvider, HocuspocusProviderWebsocket } from "@hocuspocus/provider";
import WebSocket from "ws";
import * as Y from "yjs";
import { newId } from "../shared/ids.ts";
import { isSealed, liveSegmentOf, segmentNumberOf, sendMessage } from "../shared/room-doc/index.ts";
import { ApiClient, signUp } from "../test/helpers/api-client.ts";
import { type Backend, createThrowawayDatabase } from "../test/helpers/backends.ts";
import { type ServerProcess, spawnServer } from "../test/helpers/server-process.ts";
import { waitFor } from "../test/helpers/wait-for.ts";
import { progress } from "./stats.ts";

const TEXT = "Great session today, same time tomorrow? Bring the resistance bands.";
const BATCH = 500;
const PAGE = 50;

export interface LongLivedRoomFigures {
  backend: Backend;
  /** The server's SEGMENT_MESSAGES (0: the room is one document). */
  segmentMessages: number;
  messages: number;
  fillSeconds: number;
  coldPageMs: number;
  latestPageMs: number;
  deepPageMs: number;
  openMs: number;
  openBytes: number;
  rssBeforeMb: number;
  rssLoadedMb: number;
}

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function timed<T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await f();
  return { ms: performance.now() - start, value };
}

/** A socket that counts every byte it receives, for the documents a client attaches to it. */
function countingSocket(wsUrl: string) {
  const counter = { bytes: 0 };
  class CountingWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      // The provider asks for ArrayBuffers (binaryType); Buffers and fragments counted as well.
      this.on("message", (data: Buffer | ArrayBuffer | Buffer[]) => {
        counter.bytes += Array.isArray(data) ? data.reduce((sum, part) => sum + part.length, 0) : data.byteLength;
      });
    }
  }
  const socket = new HocuspocusProviderWebsocket({ url: wsUrl, WebSocketPolyfill: CountingWebSocket });
  const attached: HocuspocusProvider[] = [];
  return {
    counter,
    /** Open document `name` on this socket; resolves once it has synced. */
    async open(name: string, token: string) {
      const doc = new Y.Doc();
      const provider = new HocuspocusProvider({ websocketProvider: socket, name, token, document: doc });
      provider.attach();
      attached.push(provider);
      await waitFor(() => provider.isSynced, `${name} to sync`, 300_000);
      return { doc, provider };
    },
    close() {
      for (const provider of attached) provider.destroy();
      socket.destroy();
    },
  };
}

/**
 * What a fresh device does to show a room's latest messages: open its head and, once the room has
 * segments, the live one the head names (docs/architecture.md "Long-lived rooms"), and the one
 * before it when the live one holds less than a page (the head itself is segment 0).
 */
async function openLatest(wsUrl: string, roomId: string, token: string) {
  const client = countingSocket(wsUrl);
  const head = await client.open(`room:${roomId}`, token);
  const live = liveSegmentOf(head.doc);
  if (live === 0) return client;
  const newest = await client.open(`room:${roomId}:${live}`, token);
  // A live segment just begun holds less than a screen: the one before it has the latest messages.
  if (newest.doc.getMap("seq").size < PAGE && live > 1) await client.open(`room:${roomId}:${live - 1}`, token);
  return client;
}

const serverEnv = (database: { env: Record<string, string | undefined> }, segmentMessages: number) => ({
  ...(database.env as Record<string, string>),
  SEGMENT_MESSAGES: String(segmentMessages),
  // The room is filled by one client at full speed: lift the per-user message limits.
  MESSAGES_PER_MINUTE: "100000000",
  MESSAGES_ABUSE_PER_TEN_MINUTES: "100000000",
  MESSAGES_PER_ROOM_PER_MINUTE: "100000000",
});

async function fill(server: ServerProcess, size: number) {
  const owner = await signUp(server.url, "coach");
  const room = (await owner.api.post("/api/v1/chat/rooms", { type: "group", name: "Every day", participant_ids: [] })).body as {
    id: string;
  };
  const writer = countingSocket(server.wsUrl);
  const head = await writer.open(`room:${room.id}`, owner.token);
  let live = head;
  const started = performance.now();
  for (let done = 0; done < size; done += BATCH) {
    const ids: string[] = [];
    live.doc.transact(() => {
      for (let i = done; i < Math.min(size, done + BATCH); i++)
        ids.push(sendMessage(live.doc, { id: newId(), sender_id: owner.id, content: `${TEXT} #${i}` }).id);
    });
    // One batch in flight at a time: a backlog as a provider sends it, numbered before the next.
    const numbered = live.doc.getMap("seq");
    await waitFor(() => ids.every((id) => numbered.has(id)), "the batch to be numbered", 300_000);
    // The batch filled its segment: the next ones go where the head now says.
    if (isSealed(live.doc)) {
      const sealed = live;
      await waitFor(() => liveSegmentOf(head.doc) > segmentNumberOf(sealed.doc), "the head to name the next segment", 60_000);
      live = await writer.open(`room:${room.id}:${liveSegmentOf(head.doc)}`, owner.token);
    }
  }
  const fillSeconds = (performance.now() - started) / 1000;
  writer.close();
  return { owner, roomId: room.id, fillSeconds };
}

async function measure(backend: Backend, size: number, segmentMessages: number): Promise<LongLivedRoomFigures> {
  progress(`long-lived room of ${size} messages on ${backend}, SEGMENT_MESSAGES=${segmentMessages}`);
  const database = await createThrowawayDatabase(backend);
  const env = serverEnv(database, segmentMessages);
  let server = await spawnServer(env);
  try {
    const { owner, roomId, fillSeconds } = await fill(server, size);
    await server.stop();
    server = await spawnServer(env);
    const api = new ApiClient(server.url, owner.token);
    const page = async (query = "") => {
      const response = await api.get(`/api/v1/chat/messages/${roomId}?limit=50${query}`);
      if (response.status !== 200 || response.body.items.length !== 50) throw new Error(`page ${query}: ${response.status}`);
    };
    const cold = await timed(() => page());
    const latest: number[] = [];
    const deep: number[] = [];
    for (let i = 0; i < 5; i++) {
      latest.push((await timed(() => page())).ms);
      deep.push((await timed(() => page(`&before=${Math.max(51, Math.round(size * 0.1))}`))).ms);
    }
    // Restarted again: the Yjs open is cold whether or not the REST reads loaded the document.
    await server.stop();
    server = await spawnServer(env);
    const rssBeforeOpenMb = rssMb(server.child.pid as number);
    const open = await timed(() => openLatest(server.wsUrl, roomId, owner.token));
    const rssLoadedMb = rssMb(server.child.pid as number);
    const openBytes = open.value.counter.bytes;
    open.value.close();
    return {
      backend,
      segmentMessages,
      messages: size,
      fillSeconds,
      coldPageMs: cold.ms,
      latestPageMs: median(latest),
      deepPageMs: median(deep),
      openMs: open.ms,
      openBytes,
      rssBeforeMb: rssBeforeOpenMb,
      rssLoadedMb,
    };
  } finally {
    await server.stop();
    await database.drop();
  }
}

export async function longLivedRoomFigures(
  sizes = (process.env.BENCH_ROOM_SIZES ?? "1000,10000,100000").split(",").map(Number),
  backend = (process.env.BENCH_ROOMS_BACKEND ?? "postgres") as Backend,
  // The room as one document (the default today), then as segments of 1,000 messages.
  segmentSizes = (process.env.BENCH_SEGMENT_MESSAGES ?? "0,1000").split(",").map(Number),
): Promise<LongLivedRoomFigures[]> {
  const figures: LongLivedRoomFigures[] = [];
  for (const segmentMessages of segmentSizes) for (const size of sizes) figures.push(await measure(backend, size, segmentMessages));
  return figures;
}

export function printLongLivedRoomFigures(figures: LongLivedRoomFigures[]): void {
  console.log("\nLong-lived rooms: one room filled over the WebSocket, server restarted, then read cold (ms, MB)");
  console.log(
    "| backend | segments | messages | latest REST page, first / warm | page 90% back | fresh Yjs client: open | bytes received | server RSS before / loaded | fill s |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const f of figures) {
    console.log(
      `| ${f.backend} | ${f.segmentMessages === 0 ? "one document" : `of ${f.segmentMessages.toLocaleString("en")}`} | ${f.messages.toLocaleString("en")} | ${f.coldPageMs.toFixed(1)} / ${f.latestPageMs.toFixed(1)} | ${f.deepPageMs.toFixed(1)} | ${f.openMs.toFixed(0)} | ${(f.openBytes / 1e6).toFixed(2)} MB | ${f.rssBeforeMb.toFixed(0)} / ${f.rssLoadedMb.toFixed(0)} | ${f.fillSeconds.toFixed(1)} |`,
    );
  }
  for (const segmentMessages of new Set(figures.map((f) => f.segmentMessages))) {
    const [small, ...rest] = figures.filter((f) => f.segmentMessages === segmentMessages);
    for (const big of rest) {
      if (!small) break;
      const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : "–");
      console.log(
        `${segmentMessages === 0 ? "one document" : `segments of ${segmentMessages}`}, ${big.messages / small.messages}x the history: latest page ${ratio(big.latestPageMs, small.latestPageMs)}x, first page ${ratio(big.coldPageMs, small.coldPageMs)}x, deep page ${ratio(big.deepPageMs, small.deepPageMs)}x, open ${ratio(big.openMs, small.openMs)}x, bytes ${ratio(big.openBytes, small.openBytes)}x`,
      );
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printLongLivedRoomFigures(await longLivedRoomFigures());
  process.exit(0);
}
