import { afterAll, describe, expect, it } from "vitest";
import { newId } from "../../shared/ids.ts";
import { sendMessage } from "../../shared/room-doc/index.ts";
import { ApiClient, signUp, storedMessageIds } from "../helpers/api-client.ts";
import { backendsUnderTest, createThrowawayDatabase, type ThrowawayDatabase } from "../helpers/backends.ts";
import { type ServerProcess, spawnServer } from "../helpers/server-process.ts";
import { connectSocket, openDocument } from "../helpers/sync-client.ts";

describe.each(backendsUnderTest())("acknowledged means durable on %s", (backend) => {
  let database: ThrowawayDatabase;
  const processes: ServerProcess[] = [];
  afterAll(async () => {
    for (const p of processes) await p.stop();
    await database?.drop();
  });

  it("keeps every acknowledged WebSocket and REST message through kill -9 of the server", async () => {
    database = await createThrowawayDatabase(backend);
    // One client streams hundreds of messages a second here: lift the per-user pacing.
    const env = { ...(database.env as Record<string, string>), MESSAGES_PER_MINUTE: "1000000", MESSAGES_ABUSE_PER_TEN_MINUTES: "1000000" };
    const first = await spawnServer(env);
    processes.push(first);
    const ana = await signUp(first.url, "ana");
    const ben = await signUp(first.url, "ben");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { participant_ids: [ben.id] })).body.id as string;

    const socket = connectSocket(first.wsUrl);
    const room = openDocument(socket, `room:${roomId}`, ana.token);
    await room.synced();

    // Each send is one update; the server acknowledges a connection's updates in order, so when
    // the provider's count of unacknowledged updates drops, the oldest ones were acknowledged.
    const sentOverSocket: string[] = [];
    const ackedOverSocket = new Set<string>();
    room.provider.on("unsyncedChanges", ({ number }: { number: number }) => {
      const acked = sentOverSocket.length - number;
      for (const id of sentOverSocket.slice(0, Math.max(0, acked))) ackedOverSocket.add(id);
    });
    // A REST message counts once its POST returned 2xx.
    const ackedOverRest = new Set<string>();
    const restSends: Promise<unknown>[] = [];
    const benApi = new ApiClient(first.url, ben.token);
    let restInFlight = 0;

    for (let i = 0; i < 5000; i++) {
      const id = newId();
      sentOverSocket.push(id);
      sendMessage(room.doc, { id, sender_id: ana.id, content: `socket ${i}` });
      // A few REST sends in flight at any moment, like a handful of mobile clients.
      if (restInFlight < 4) {
        const restId = newId();
        restInFlight += 1;
        restSends.push(
          benApi
            .post(`/api/v1/chat/messages/${roomId}`, { id: restId, content: `rest ${i}` })
            .then(
              (res) => res.status < 300 && ackedOverRest.add(restId),
              () => {},
            )
            .finally(() => {
              restInFlight -= 1;
            }),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
      // Kill in the middle of the stream, with sends and acknowledgements in flight.
      if (ackedOverSocket.size >= 150 && ackedOverRest.size >= 5) break;
    }
    await first.kill9();
    await Promise.allSettled(restSends);
    socket.destroy();
    expect(ackedOverSocket.size).toBeGreaterThanOrEqual(150);
    expect(ackedOverRest.size).toBeGreaterThanOrEqual(5);

    const second = await spawnServer(env);
    processes.push(second);
    const stored = new Set(await storedMessageIds(new ApiClient(second.url, ana.token), roomId));
    const lost = [...ackedOverSocket, ...ackedOverRest].filter((id) => !stored.has(id));
    expect(lost).toEqual([]);
  }, 120_000);
});
