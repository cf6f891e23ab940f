/**
 * Several server processes over one PostgreSQL and Redis (docs/architecture.md "Several
 * processes"): how the many-rooms load scales from one process to two, and what a room costs in
 * delivery latency when its members sit on different processes (updates forwarded to the room's
 * sequencer, accepted entries fanned out over Redis). Real providers in this process, each
 * server in its own; server CPU is user + sys of all server processes. Figures only.
 */

import { newId } from "../shared/ids.ts";
import { sendMessage } from "../shared/room-doc/index.ts";
import { signUp } from "../test/helpers/api-client.ts";
import { createThrowawayDatabase, TEST_REDIS_URL } from "../test/helpers/backends.ts";
import { RawRoomSocket } from "../test/helpers/raw-room-socket.ts";
import { type ServerProcess, spawnServer } from "../test/helpers/server-process.ts";
import { waitFor } from "../test/helpers/wait-for.ts";
import { cpuSeconds } from "./process-cpu.ts";
import { type Arrivals, connect, type Member, open, RAISED_LIMITS, sleepUntil, TEXT, watchReaders } from "./room-clients.ts";
import { percentile, progress } from "./stats.ts";

interface Shape {
  processes: number;
  rooms: number;
  perRoom: number;
  users: number;
  /** Which process member `m` of room `r` connects to; the room is created (and so sequenced) on process r % processes. */
  placement: (room: number, member: number) => number;
  messages: number;
  ratePerSecond: number;
  /**
   * Readers as raw sockets that only look for the awaited ids in what the server sends (no Yjs),
   * so the bench process, on the same 2 cores, is not what limits a many-rooms run.
   */
  rawReaders?: boolean;
}

interface Row {
  scenario: string;
  processes: number;
  offered: number;
  delivered: number;
  p50: number;
  p99: number;
  cpuMicrosPerMessage: number;
  /** The busiest server process's share of one core during the run. */
  busiestCore: number;
}

/** Per room, the ids sent and how many of its raw readers have yet to find each (few at a time). */
const awaitedIn = new Map<string, Map<string, number>>();

/** Count an arrival at `socket` when a frame for `room` holds the bytes of an id sent to it. */
function watchRaw(socket: RawRoomSocket, room: string, arrivals: Arrivals): void {
  const awaited = awaitedIn.get(room) ?? new Map<string, number>();
  awaitedIn.set(room, awaited);
  const seen = new Set<string>();
  socket.onSync = (frame) => {
    const bytes = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    for (const [id, remaining] of awaited) {
      if (seen.has(id) || bytes.indexOf(id) < 0) continue;
      seen.add(id);
      if (remaining <= 1) awaited.delete(id);
      else awaited.set(id, remaining - 1);
      const now = performance.now();
      arrivals.latencies.push(now - (arrivals.sentAt.get(id) as number));
      arrivals.count++;
      arrivals.last = now;
    }
  };
}

async function run(scenario: string, shape: Shape): Promise<Row> {
  awaitedIn.clear();
  progress(`${scenario}: ${shape.processes} process(es), ${shape.rooms} room(s) of ${shape.perRoom}, ${shape.ratePerSecond}/s`);
  const database = await createThrowawayDatabase("postgres");
  const env = {
    ...(database.env as Record<string, string>),
    ...RAISED_LIMITS,
    ...(shape.processes > 1 ? { REDIS_URL: TEST_REDIS_URL } : {}),
  };
  const servers: ServerProcess[] = [];
  for (let i = 0; i < shape.processes; i++) servers.push(await spawnServer(env));
  const first = servers[0] as ServerProcess;
  const users: Array<Awaited<ReturnType<typeof signUp>>> = [];
  for (let i = 0; i < shape.users; i++) users.push(await signUp(first.url, `athlete${i}`));
  // One socket per user and process, as a user whose rooms live on several processes would have.
  const sockets = new Map<string, Member>();
  const memberOn = (user: (typeof users)[number], p: number) => {
    const key = `${user.id}:${p}`;
    let member = sockets.get(key);
    if (!member) {
      member = connect((servers[p] as ServerProcess).wsUrl, user);
      sockets.set(key, member);
    }
    return member;
  };
  const rooms = [];
  for (let r = 0; r < shape.rooms; r++) {
    const inRoom = Array.from({ length: shape.perRoom }, (_, i) => users[(r * shape.perRoom + i) % users.length] as (typeof users)[number]);
    const [owner, ...rest] = inRoom;
    const creator = servers[r % shape.processes] as ServerProcess;
    const res = await fetch(`${creator.url}/api/v1/chat/rooms`, {
      method: "POST",
      headers: { authorization: `Bearer ${owner?.token}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "group", name: "Bench", participant_ids: rest.map((u) => u.id) }),
    });
    const name = `room:${((await res.json()) as { id: string }).id}`;
    const writerDoc = open(memberOn(owner as (typeof users)[number], shape.placement(r, 0)), name);
    const readers = shape.rawReaders
      ? []
      : rest.map((user, m) => open(memberOn(user as (typeof users)[number], shape.placement(r, m + 1)), name));
    rooms.push({ name, writer: owner as (typeof users)[number], writerDoc, readers, readerUsers: rest });
  }
  const providers = [...sockets.values()].flatMap((m) => [...m.docs.values()].map((d) => d.provider));
  await waitFor(() => providers.every((p) => p.isSynced), "every provider to sync", 120_000);

  const arrivals = watchReaders(rooms.flatMap((room) => room.readers));
  const { sentAt, latencies } = arrivals;
  const raw: RawRoomSocket[] = [];
  if (shape.rawReaders) {
    for (const [r, room] of rooms.entries()) {
      for (const [m, user] of room.readerUsers.entries()) {
        const socket = await RawRoomSocket.open((servers[shape.placement(r, m + 1)] as ServerProcess).wsUrl, room.name, user.token, 60_000);
        raw.push(socket);
        watchRaw(socket, room.name, arrivals);
      }
    }
  }
  const cpuBefore = servers.map((s) => cpuSeconds(s.child.pid as number));
  const start = performance.now();
  for (let i = 0; i < shape.messages; i++) {
    await sleepUntil(start + (i * 1000) / shape.ratePerSecond);
    const room = rooms[i % rooms.length] as (typeof rooms)[number];
    const id = newId();
    sentAt.set(id, performance.now());
    awaitedIn.get(room.name)?.set(id, room.readerUsers.length);
    if (room.writerDoc) sendMessage(room.writerDoc, { id, sender_id: room.writer.id, content: TEXT });
  }
  await waitFor(() => arrivals.count >= shape.messages * (shape.perRoom - 1), "every message at every reader", 300_000);
  const elapsed = (performance.now() - start) / 1000;
  const cpu = servers.map((s, i) => cpuSeconds(s.child.pid as number) - (cpuBefore[i] as number));
  for (const m of sockets.values()) {
    for (const { provider } of m.docs.values()) provider.destroy();
    m.socket.destroy();
  }
  for (const socket of raw) socket.close();
  for (const s of servers) await s.stop();
  await database.drop();
  return {
    scenario,
    processes: shape.processes,
    offered: shape.ratePerSecond,
    delivered: (shape.messages * 1000) / Math.max(1, arrivals.last - start),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuMicrosPerMessage: (cpu.reduce((a, b) => a + b, 0) * 1e6) / shape.messages,
    busiestCore: Math.max(...cpu) / elapsed,
  };
}

function print(title: string, rows: Row[]): void {
  console.log(`\n${title}\n`);
  console.table(
    rows.map((r) => ({
      scenario: r.scenario,
      processes: r.processes,
      "offered msg/s": r.offered,
      "delivered msg/s": r.delivered.toFixed(0),
      "p50 ms": r.p50.toFixed(1),
      "p99 ms": r.p99.toFixed(1),
      "server CPU µs/msg": r.cpuMicrosPerMessage.toFixed(0),
      "busiest process, share of a core": `${(r.busiestCore * 100).toFixed(0)}%`,
    })),
  );
}

export async function clusterFigures(): Promise<void> {
  // BENCH_CLUSTER_PARTS=many,across picks the parts (both by default).
  const parts = (process.env.BENCH_CLUSTER_PARTS ?? "many,across").split(",");
  if (parts.includes("many")) await manyRooms();
  if (parts.includes("across")) await acrossProcesses();
}

async function manyRooms(): Promise<void> {
  const seconds = Number(process.env.BENCH_CLUSTER_SECONDS ?? 8);
  const rates = (process.env.BENCH_CLUSTER_RATES ?? "600,1200").split(",").map(Number);
  const many: Row[] = [];
  for (const processes of [1, 2]) {
    for (const rate of rates) {
      many.push(
        await run("many rooms, each on one process", {
          processes,
          rooms: 100,
          perRoom: 3,
          users: 60,
          // A room's members connect where it is sequenced: the load balancer's room affinity.
          placement: (room) => room % processes,
          messages: seconds * rate,
          ratePerSecond: rate,
          rawReaders: true,
        }),
      );
    }
  }
  print(`Many rooms: 100 rooms of 3, ${seconds} s at each offered rate, on 1 and 2 processes`, many);
}

async function acrossProcesses(): Promise<void> {
  const messages = Number(process.env.BENCH_CLUSTER_ONE_ROOM_MESSAGES ?? 1500);
  const rate = Number(process.env.BENCH_CLUSTER_ONE_ROOM_RATE ?? 150);
  const oneRoom = (processes: number, placement: Shape["placement"], scenario: string) =>
    run(scenario, { processes, rooms: 1, perRoom: 11, users: 11, placement, messages, ratePerSecond: rate });
  const across = [
    await oneRoom(1, () => 0, "one process"),
    // The writer on the process that does not sequence the room; half the readers on each.
    await oneRoom(2, (_room, m) => (m === 0 ? 1 : m % 2), "writer forwarded to the sequencer, readers on both"),
  ];
  print(`Live delivery across processes: one room, 1 writer and 10 readers, ${messages} messages at ${rate}/s`, across);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await clusterFigures();
  process.exit(0);
}
