import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { type Refusal, RoomSession } from "../../client/sync/room-session.ts";
import { AdminOperations } from "../../server/admin/operations.ts";
import { sqlDocumentStore } from "../../server/documents/document-store.ts";
import { getMessage } from "../../shared/room-doc/index.ts";
import { readUserView } from "../../shared/user-doc/index.ts";
import { ApiClient, signUpAll, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { connectSocket, openDocument } from "../helpers/sync-client.ts";
import { useTestServer } from "../helpers/test-server.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { insertRawMessage, validMessageFields, writeUnderClientId } from "../helpers/yjs-forgery.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);

describe.each(backendsUnderTest())("operator tools on %s", (backend) => {
  const t = useTestServer(backend);
  const ops = () =>
    new AdminOperations(t.server.context.db, { name: "cli:test", userId: null }, (event) => t.server.context.bus.publish(event));

  /** A room with a conversation, built through the real server's REST API. */
  async function conversation(): Promise<{ ana: TestUser; ben: TestUser; roomId: string; first: string }> {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { type: "group", name: "Crew", participant_ids: [ben.id] })).body.id;
    const first = (await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "Hills at 7" })).body.id as string;
    await ben.api.post(`/api/v1/chat/messages/${roomId}`, { content: "In" });
    await ben.api.post(`/api/v1/chat/messages/${first}/read`);
    return { ana, ben, roomId, first };
  }

  it("dumps a room as it was at an earlier time, rebuilt from the snapshots and the log", async () => {
    const { ana, roomId, first } = await conversation();
    await ops().compact(roomId); // part of the history now lives in a snapshot
    const before = new Date();
    // The log's clock is the database's: wait until it has moved past `before`.
    await waitFor(async () => {
      const { rows } = await t.server.context.db.query<{ now: Date }>("SELECT now() AS now");
      return (rows[0]?.now.getTime() ?? 0) > before.getTime();
    }, "the database clock to move on");
    await ana.api.put(`/api/v1/chat/messages/${first}`, { content: "Hills at 8" });
    await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "Bring water" });

    const then = await ops().dump(roomId, before);
    const now = await ops().dump(roomId);
    const texts = (d: typeof now) => d.messages.filter((m) => m.type !== "system").map((m) => m.content);
    expect(texts(then)).toEqual(["Hills at 7", "In"]);
    expect(texts(now)).toEqual(["Hills at 8", "In", "Bring water"]);
    expect(Object.keys(then.receipts)).toHaveLength(1);

    // Each change in the history can be looked at: the room at its time includes it.
    const history = await ops().history(roomId);
    const edit = history.find((e) => e.changes.includes("message edited"));
    const atEdit = await ops().dump(roomId, new Date(edit?.at ?? 0));
    expect(texts(atEdit)).toEqual(["Hills at 8", "In"]);
  });

  it("tells the history of a room: who changed what, and how big each change was", async () => {
    const { roomId, first, ana } = await conversation();
    await ana.api.delete(`/api/v1/chat/messages/${first}`);
    const history = await ops().history(roomId);
    const changes = history.flatMap((e) => e.changes);
    expect(changes).toEqual(expect.arrayContaining(["message added", "sequenced", "receipt moved", "message deleted"]));
    expect(history.every((e) => e.bytes > 0)).toBe(true);
    expect(history.some((e) => e.user === ana.username)).toBe(true);
  });

  it("erases a message for good: connected clients converge, and no row of any table holds its text", async () => {
    const { ana, ben, roomId } = await conversation();
    const secret = "PR attempt: 5k in 19:59, tell nobody";
    const link = "https://media.example/secret-finish-photo.jpg";
    const socket = connectSocket(t.server.wsUrl);
    const session = new RoomSession({ socket, roomId, userId: ben.id, token: ben.token });
    const refusals: Refusal[] = [];
    session.onRefused((r) => refusals.push(r));
    const feed = openDocument(socket, `user:${ana.id}`, ana.token);
    await Promise.all([session.whenSynced(), feed.synced()]);
    const sent = (await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: secret, media_urls: [link] })).body.id as string;
    await waitFor(() => getMessage(session.doc, sent)?.content === secret, "the message on ben's client");
    // Ana's room list (her private document) shows it as the room's last message too.
    await waitFor(() => readUserView(feed.doc).rooms[roomId]?.last_message?.content === secret, "the text in ana's room list");
    await ops().compact(roomId); // some copies in a snapshot, some in the log

    expect(await ops().erase(roomId, sent)).toMatchObject({ room_id: roomId, message_id: sent });
    // Ben's client was told to resync and now holds the erased state.
    await waitFor(() => refusals.some((r) => r.code === "document_rewritten"), "ben's client told to resync");
    await session.whenSynced();
    await waitFor(() => getMessage(session.doc, sent)?.deleted === true, "the erase on ben's client");
    expect(getMessage(session.doc, sent)).toMatchObject({ content: null, media_urls: [] });
    await waitFor(() => session.provider.isAuthenticated && !session.provider.hasUnsyncedChanges, "ben's fresh copy to settle");
    const shown = (await ben.api.get(`/api/v1/chat/messages/${roomId}`)).body.items.find((m: { id: string }) => m.id === sent);
    expect(shown).toMatchObject({ is_deleted: true, content: null });

    // Every row of every table, bytes included (as hex), free of the text and the link.
    const needles = [secret, link].flatMap((s) => [s, Buffer.from(s).toString("hex")]);
    const db = t.server.context.db;
    const { rows: tables } = await db.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    );
    expect(tables.length).toBeGreaterThan(10);
    for (const { name } of tables) {
      const { rows } = await db.query<{ row: string }>(`SELECT t::text AS row FROM "${name}" t`);
      for (const { row } of rows)
        for (const needle of needles) expect({ name, found: row.includes(needle) }).toEqual({ name, found: false });
    }
    session.destroy();
    socket.destroy();
  });

  it("applies the retention policy: old history a snapshot holds goes, the room itself stays whole", async () => {
    const { ana, roomId } = await conversation();
    await ops().compact(roomId);
    await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "After the snapshot" });
    const db = t.server.context.db;
    const name = `room:${roomId}`;
    // Forty days pass for this room's stored history.
    await db.query("UPDATE document_updates SET created_at = created_at - interval '40 days' WHERE document_name = $1", [name]);
    await db.query("UPDATE document_snapshots SET created_at = created_at - interval '40 days' WHERE document_name = $1", [name]);
    const count = async () =>
      Number((await db.query<{ n: string }>("SELECT count(*) AS n FROM document_updates WHERE document_name = $1", [name])).rows[0]?.n);
    const before = await ops().dump(roomId);
    const logBefore = await count();

    const result = await ops().retention(30);
    expect(result.updates_removed).toBeGreaterThan(0);
    // What the snapshot does not hold yet (the last message and its sequencing) is kept, however old.
    expect(await count()).toBe(logBefore - result.updates_removed);
    expect(await count()).toBeGreaterThan(0);
    expect({ ...(await ops().dump(roomId)), at: before.at }).toEqual(before);
    expect((await ops().verify(roomId)).mismatches).toEqual([]);
  });

  it("catches a corrupted relational side, and --repair rebuilds it from the document", async () => {
    const { roomId, first, ben } = await conversation();
    expect((await ops().verify(roomId)).mismatches).toEqual([]);
    const db = t.server.context.db;
    await db.query("UPDATE chat_message_index SET is_deleted = true WHERE message_id = $1", [first]);
    await db.query("UPDATE chat_participants SET last_read_seq = 99 WHERE room_id = $1 AND user_id = $2", [roomId, ben.id]);
    await db.query("UPDATE chat_rooms SET last_message = NULL WHERE id = $1", [roomId]);

    const found = await ops().verify(roomId);
    expect(found.mismatches.map((m) => m.what)).toEqual(
      expect.arrayContaining([`index differs for message ${first}`, `read marker of ${ben.id}`, "last message"]),
    );
    const repaired = await ops().verify(roomId, true);
    expect(repaired.repaired).toEqual([roomId]);
    expect((await ops().verify(roomId)).mismatches).toEqual([]);
    // What users see came back with it: ben's unread count and the room's last message.
    const listed = (await ben.api.get("/api/v1/chat/rooms")).body.items.find((r: { id: string }) => r.id === roomId);
    expect(listed).toMatchObject({ unread_count: 0, last_message: { content: "In" } });
  });

  it("a room whose stored log holds a NUL message from an older release still loads and takes messages; --repair rewrites the text", async () => {
    const { roomId, ana, ben } = await conversation();
    const db = t.server.context.db;
    const name = `room:${roomId}`;
    // What an older release stored: a validated update whose text PostgreSQL's text and jsonb refuse.
    const stored = await sqlDocumentStore(db).loadAt(name);
    const poison = validMessageFields(ana.id, { content: "a\u0000b" });
    const update = writeUnderClientId(stored, 123_456_789, (doc) => insertRawMessage(doc, poison));
    stored.destroy();
    await db.query("INSERT INTO document_updates (document_name, update, origin, user_id) VALUES ($1, $2, 'connection', $3)", [
      name,
      update,
      ana.id,
    ]);
    await t.server.context.bus.publish({ type: "documents_rewritten", documentNames: [name] }); // as after a restart

    const sent = await ben.api.post(`/api/v1/chat/messages/${roomId}`, { content: "Still works" });
    expect(sent.status).toBe(201);
    // Loading the room accepted the old message and mirrored it as the database can hold it.
    const read = await ben.api.get(`/api/v1/chat/messages/${roomId}`);
    expect(read.status).toBe(200);
    expect(read.body.items.map((m: { id: string }) => m.id)).toEqual(expect.arrayContaining([poison.id, sent.body.id]));
    const socket = connectSocket(t.server.wsUrl);
    const fresh = openDocument(socket, name, ana.token);
    await fresh.synced();
    expect(getMessage(fresh.doc, sent.body.id)?.seq).toEqual(expect.any(Number));
    expect(getMessage(fresh.doc, String(poison.id))?.seq).toEqual(expect.any(Number));

    const found = await ops().verify(roomId);
    expect(found.mismatches.map((m) => m.what)).toContain(
      `message ${poison.id} holds text the database cannot store (NUL or a lone surrogate)`,
    );
    expect((await ops().verify(roomId, true)).repaired).toEqual([roomId]);
    expect((await ops().verify(roomId)).mismatches).toEqual([]);
    const after = (await ben.api.get(`/api/v1/chat/messages/${roomId}`)).body.items.find((m: { id: string }) => m.id === poison.id);
    expect(after.content).toBe("a\uFFFDb");
    fresh.destroy();
    socket.destroy();
  });

  it("compacts a room, reporting the bytes before and after", async () => {
    const { roomId, ana } = await conversation();
    for (let i = 0; i < 20; i++) await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: `Lap ${i}` });
    const [result] = await ops().compact(roomId);
    expect(result).toMatchObject({ room_id: roomId, folded: expect.any(Number) });
    expect(result?.after).toBeLessThan(result?.before ?? 0);
    const [report] = await ops()
      .rooms({ name: "Crew", limit: 1000 })
      .then((rooms) => rooms.filter((r) => r.id === roomId));
    expect(report).toMatchObject({ messages: 22, members: 2 });
  });

  it("refuses every admin route to a non-admin, and serves them to a server admin, audited", async () => {
    const { ana, roomId } = await conversation();
    // Every admin route the server registers, with its parameters filled in.
    const admin = t.server.routes.filter((r) => r.includes(" /api/v1/admin/") && !r.startsWith("HEAD"));
    expect(admin.length).toBeGreaterThanOrEqual(10);
    const message = (await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "keep me" })).body.id as string;
    for (const route of admin) {
      const [method = "GET", template = ""] = route.split(" ");
      const path = template.replace("{room_id}", roomId).replace("{message_id}", message).replace("{username}", ana.username);
      const body = method === "GET" ? undefined : {};
      const res = await ana.api.request(method, path, body);
      expect({ route, status: res.status, code: res.body?.error?.code }).toEqual({ route, status: 403, code: "forbidden" });
      expect({ route, status: (await new ApiClient(t.server.url).request(method, path, body)).status }).toEqual({ route, status: 401 });
    }
    const routes = ["/rooms", `/rooms/${roomId}`, `/rooms/${roomId}/dump`, `/rooms/${roomId}/history`, "/audit"];
    await ops().setAdmin(ana.username, true);
    for (const route of routes) expect((await ana.api.get(`/api/v1/admin${route}`)).status).toBe(200);
    expect((await ana.api.get(`/api/v1/admin/rooms/${roomId}/dump?at=yesterday`)).status).toBe(400);
    expect((await ana.api.get("/api/v1/admin/rooms/0190c000-0000-7000-8000-000000000000")).status).toBe(404);
    const audit = (await ana.api.get("/api/v1/admin/audit?limit=20")).body.items as Array<{ actor: string; action: string }>;
    expect(audit).toEqual(expect.arrayContaining([expect.objectContaining({ actor: `user:${ana.username}`, action: "dump" })]));
    expect(audit).toEqual(expect.arrayContaining([expect.objectContaining({ actor: "cli:test", action: "grant-admin" })]));
  });

  it("answers from the command line, as tables or JSON, and exits 1 when verify finds a mismatch", async () => {
    // On PostgreSQL the CLI opens the database itself. The embedded one is held by the running test
    // server, so there the CLI goes through that server's admin API with its operator token.
    const { ben, roomId, first } = await conversation();
    const env = { ...process.env, ...t.database.env, LOG_LEVEL: "silent" };
    const admin = (...args: string[]) => run(process.execPath, ["--import", "tsx", "server/admin/cli.ts", ...args], { cwd: root, env });

    const table = (await admin("room", roomId)).stdout;
    expect(table).toContain("Crew");
    expect(table).toContain("Hills at 7");
    const rooms = JSON.parse((await admin("--json", "rooms", "--sort", "messages")).stdout) as Array<{ id: string }>;
    expect(rooms.map((r) => r.id)).toContain(roomId);
    await admin("grant-admin", ben.username);
    expect((await ben.api.get("/api/v1/users/me")).body.is_server_admin).toBe(true);

    await t.server.context.db.query("DELETE FROM chat_message_index WHERE message_id = $1", [first]);
    const failed = await admin("verify", roomId).catch((error: { code: number; stdout: string }) => error);
    expect(failed).toMatchObject({ code: 1, stdout: expect.stringContaining(`index lacks message ${first}`) });
    expect((await admin("verify", roomId, "--repair")).stdout).toContain("1 repaired");
    expect((await admin("verify", roomId)).stdout).toContain("0 mismatch");
    const help = (await admin("dump", "--help")).stdout;
    expect(help).toContain("--at <time>");
    const bad = await admin("dump", "not-a-room").catch((error: { code: number; stderr: string }) => error);
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringContaining("a room id is a UUID") });
    const audit = JSON.parse((await admin("--json", "audit")).stdout) as Array<{ actor: string; action: string }>;
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(["verify --repair", "grant-admin", "room"]));
  }, 120_000); // several CLI processes, each starting tsx
});
