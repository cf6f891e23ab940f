import { describe, expect, it } from "vitest";
import { migrateDown, migrateUp } from "../../server/db/migrate.ts";
import { newId } from "../../shared/ids.ts";
import { sendMessage } from "../../shared/room-doc/index.ts";
import { ApiClient, signUpAll } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { connectSocket, openDocument } from "../helpers/sync-client.ts";
import { useTestServer } from "../helpers/test-server.ts";
import { waitFor } from "../helpers/wait-for.ts";

/** The value of one sample in Prometheus text format, or null when it is absent. */
function sample(text: string, name: string): number | null {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : null;
}

describe.each(backendsUnderTest())("health and metrics on %s", (backend) => {
  const t = useTestServer(backend);
  const anon = () => new ApiClient(t.server.url);
  const metrics = async () => (await fetch(`${t.server.url}/metrics`)).text();

  it("counts connections, documents, accepted and refused updates, messages and store latency", async () => {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { type: "direct", participant_ids: [ben.id] })).body.id;
    const socket = connectSocket(t.server.wsUrl);
    const room = openDocument(socket, `room:${roomId}`, ana.token);
    await room.synced();
    sendMessage(room.doc, { id: newId(), sender_id: ana.id, content: "Tempo run?" });
    await room.saved();
    await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "Over REST too" });
    const connected = await metrics();
    expect(sample(connected, "chat_websocket_connections")).toBe(1);
    expect(sample(connected, "chat_open_documents")).toBeGreaterThanOrEqual(1);
    // A forged sender: refused, and counted by its code.
    sendMessage(room.doc, { id: newId(), sender_id: ben.id, content: "not ben" });
    await waitFor(() => room.refusals.length > 0, "the refusal");

    const text = await waitFor(async () => {
      const now = await metrics();
      return (sample(now, "chat_messages_accepted_total") ?? 0) >= 2 ? now : null;
    }, "both messages counted");
    expect(sample(text, "chat_updates_accepted_total")).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'chat_updates_refused_total{code="forged_author"}')).toBe(1);
    expect(sample(text, "chat_store_commit_seconds_count")).toBeGreaterThanOrEqual(2);
    expect(text).toContain("chat_update_log_entries");
    expect(text).toContain("process_cpu_seconds_total");
    socket.destroy();
  });

  it("is healthy while the database answers and its schema is current, and says which migrations are missing", async () => {
    expect(await anon().get("/healthz")).toMatchObject({ status: 200, body: { ok: true, pending_migrations: [] } });
    const reverted = await migrateDown(t.server.context.db);
    expect(await anon().get("/healthz")).toMatchObject({ status: 503, body: { ok: false, pending_migrations: reverted } });
    await migrateUp(t.server.context.db);
    expect((await anon().get("/healthz")).status).toBe(200);
  });
});
