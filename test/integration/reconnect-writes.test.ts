import { afterAll, describe, expect, it } from "vitest";
import { newId } from "../../shared/ids.ts";
import { sendMessage } from "../../shared/room-doc/index.ts";
import { ApiClient, signUp, storedMessageIds, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest, createThrowawayDatabase, type ThrowawayDatabase } from "../helpers/backends.ts";
import { type ServerProcess, spawnServer } from "../helpers/server-process.ts";
import { connectSocket, type OpenDocument, openDocument } from "../helpers/sync-client.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";
import { waitFor } from "../helpers/wait-for.ts";

// One provider streams a message every few milliseconds: lift the per-user pacing.
const UNPACED = { MESSAGES_PER_MINUTE: "1000000", MESSAGES_ABUSE_PER_TEN_MINUTES: "1000000", MESSAGES_PER_ROOM_PER_MINUTE: "1000000" };
/** Messages the writer sends in all: the work is bounded, however slow the machine. */
const MESSAGES = 600;

/**
 * Write MESSAGES messages through `room`'s real provider, one every couple of milliseconds,
 * starting `disrupt` (a cut, a restart) after each third of them, without waiting for it: the
 * provider queues what it cannot send, as it does for a user on a train. Disruptions run one
 * after another; resolves when the last has ended.
 */
async function writeThrough(room: OpenDocument, user: TestUser, disrupt: () => Promise<void>): Promise<string[]> {
  const written: string[] = [];
  let disruptions = Promise.resolve();
  for (let i = 0; i < MESSAGES; i++) {
    const id = newId();
    sendMessage(room.doc, { id, sender_id: user.id, content: `interval ${i}` });
    written.push(id);
    if (i > 0 && i % (MESSAGES / 3) === 0) disruptions = disruptions.then(disrupt);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await disruptions;
  return written;
}

describe.each(backendsUnderTest())("an honest client writing through outages on %s", (backend) => {
  const databases: ThrowawayDatabase[] = [];
  const processes: ServerProcess[] = [];
  const proxies: TcpProxy[] = [];
  afterAll(async () => {
    for (const proxy of proxies) await proxy.close();
    for (const p of processes) await p.stop();
    for (const database of databases) await database.drop();
  });

  /** A server process, a proxy in front of it, ana in a room of her own, and her provider through the proxy. */
  async function setUp() {
    const database = await createThrowawayDatabase(backend);
    databases.push(database);
    const env = { ...(database.env as Record<string, string>), ...UNPACED };
    const first = await spawnServer(env);
    processes.push(first);
    const proxy = await startTcpProxy(Number(new URL(first.url).port));
    proxies.push(proxy);
    const ana = await signUp(first.url, "ana");
    const ben = await signUp(first.url, "ben");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { participant_ids: [ben.id] })).body.id as string;
    const socket = connectSocket(`ws://127.0.0.1:${proxy.port}/api/v1/chat/ws`);
    const room = openDocument(socket, `room:${roomId}`, ana.token);
    await room.synced();
    return { env, first, proxy, ana, roomId, socket, room };
  }

  /** Everything written is stored exactly once, and the server never refused the honest client. */
  async function expectAllStoredOnce(room: OpenDocument, written: string[], api: ApiClient, roomId: string, what: string): Promise<void> {
    const writerDone = performance.now();
    await waitFor(() => room.provider.isSynced && !room.provider.hasUnsyncedChanges, "the provider to have nothing unsent", 120_000);
    const stored = await waitFor(
      async () => {
        const ids = await storedMessageIds(api, roomId);
        return written.every((id) => ids.includes(id)) ? ids : null;
      },
      "every written message over REST",
      60_000,
    );
    expect(stored.filter((id) => written.includes(id))).toHaveLength(written.length);
    expect(new Set(stored).size).toBe(stored.length);
    expect(room.refusals).toEqual([]);
    expect(room.closeReasons.filter((r) => r !== "")).toEqual([]);
    console.info(
      `${backend}, ${what}: ${written.length} messages written, each stored once, none refused; the last was stored ${Math.round(performance.now() - writerDone)} ms after the writer (and the last disruption) ended`,
    );
  }

  it("stores every message once across network cuts, refusing none", async () => {
    const { first, proxy, ana, roomId, socket, room } = await setUp();
    const written = await writeThrough(room, ana, async () => {
      proxy.sever();
      await waitFor(() => socket.status === "disconnected", "the socket to notice the cut");
      proxy.restore();
    });
    await expectAllStoredOnce(room, written, new ApiClient(first.url, ana.token), roomId, "3 network cuts");
    socket.destroy();
  }, 300_000);

  it("stores every message once across kill -9 and restarts of the server, refusing none", async () => {
    const { env, first, proxy, ana, roomId, socket, room } = await setUp();
    let current = first;
    const written = await writeThrough(room, ana, async () => {
      proxy.sever();
      await current.kill9();
      current = await spawnServer(env);
      processes.push(current);
      proxy.retarget(Number(new URL(current.url).port));
      proxy.restore();
    });
    await expectAllStoredOnce(room, written, new ApiClient(current.url, ana.token), roomId, "3 kill -9 restarts");
    socket.destroy();
  }, 300_000);
});
