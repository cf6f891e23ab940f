import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { AdminOperations } from "../../server/admin/operations.ts";
import { getMessage } from "../../shared/room-doc/index.ts";
import { ApiClient, signUpAll, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { connectSocket, openDocument } from "../helpers/sync-client.ts";
import { useTestServer } from "../helpers/test-server.ts";
import { waitFor } from "../helpers/wait-for.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);

describe.each(backendsUnderTest())("reports and moderation on %s", (backend) => {
  const t = useTestServer(backend, { REPORTS_PER_HOUR: "5" });
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const fn of cleanup.splice(0)) fn();
  });
  const ops = () =>
    new AdminOperations(t.server.context.db, { name: "cli:test", userId: null }, (event) => t.server.context.bus.publish(event));

  /** ana (a server admin), ben and eve in a group; eve says something ugly. */
  async function scene(): Promise<{ ana: TestUser; ben: TestUser; eve: TestUser; roomId: string; ugly: string }> {
    const [ana, ben, eve] = await signUpAll(t.server.url, "ana", "ben", "eve");
    await ops().setAdmin(ana.username, true);
    const roomId = (await ben.api.post("/api/v1/chat/rooms", { type: "group", name: "Runners", participant_ids: [eve.id] })).body.id;
    const ugly = (await eve.api.post(`/api/v1/chat/messages/${roomId}`, { content: "you are all slow losers" })).body.id as string;
    return { ana, ben, eve, roomId, ugly };
  }

  const login = (user: TestUser) =>
    new ApiClient(t.server.url).post("/api/v1/auth/login", { username: user.username, password: "correct horse battery" });

  it("takes a member's report of a message into the admin queue, and deleting it removes it for members live", async () => {
    const { ana, ben, eve, roomId, ugly } = await scene();
    const socket = connectSocket(t.server.wsUrl);
    cleanup.push(() => socket.destroy());
    const live = openDocument(socket, `room:${roomId}`, ben.token);
    await live.synced();

    const filed = await ben.api.post("/api/v1/reports", { message_id: ugly, reason: "harassment", details: "insults the group" });
    expect(filed.status).toBe(201);
    expect(filed.body).toMatchObject({ target_type: "message", message_id: ugly, room_id: roomId, user_id: eve.id, status: "open" });
    const again = await ben.api.post("/api/v1/reports", { message_id: ugly, reason: "spam" });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("already_reported");

    // The queue shows what was said when it was reported, even after an edit.
    await eve.api.put(`/api/v1/chat/messages/${ugly}`, { content: "just kidding" });
    const queue = (await ana.api.get("/api/v1/admin/reports")).body.items;
    expect(queue).toEqual([
      expect.objectContaining({
        id: filed.body.id,
        reason: "harassment",
        message_excerpt: "you are all slow losers",
        room_name: "Runners",
        reporter: expect.objectContaining({ username: ben.username }),
        target_user: expect.objectContaining({ username: eve.username, suspended_until: null }),
      }),
    ]);
    expect((await ben.api.get("/api/v1/admin/reports")).status).toBe(403);

    const resolved = await ana.api.post(`/api/v1/admin/reports/${filed.body.id}/resolve`, { action: "delete_message", note: "abuse" });
    expect(resolved.body).toMatchObject({ status: "resolved", resolution: "message_deleted", resolved_by: `user:${ana.username}` });
    await waitFor(() => getMessage(live.doc, ugly)?.deleted === true, "the deletion to reach ben's open room");
    expect(live.refusals).toEqual([]);
    const twice = await ana.api.post(`/api/v1/admin/reports/${filed.body.id}/resolve`, { action: "dismiss" });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe("report_resolved");
    expect((await ana.api.get("/api/v1/admin/reports")).body.items).toEqual([]);
    const audit = (await ana.api.get("/api/v1/admin/audit")).body.items as Array<{ action: string; target: string }>;
    expect(audit).toEqual(expect.arrayContaining([expect.objectContaining({ action: "report-delete_message", target: filed.body.id })]));
  });

  it("suspends a reported user: their sessions and sockets end, and login is refused until it lapses", async () => {
    const { ana, ben, eve, roomId } = await scene();
    const socket = connectSocket(t.server.wsUrl);
    cleanup.push(() => socket.destroy());
    const room = openDocument(socket, `room:${roomId}`, eve.token);
    await room.synced();

    const filed = await ben.api.post("/api/v1/reports", { user_id: eve.id, reason: "spam" });
    expect(filed.status).toBe(201);
    // A suspension of about two seconds, so the test can watch it lapse.
    const resolved = await ana.api.post(`/api/v1/admin/reports/${filed.body.id}/resolve`, { action: "suspend_user", hours: 0.0006 });
    expect(resolved.body).toMatchObject({
      resolution: "user_suspended",
      target_user: expect.objectContaining({ suspended_until: expect.any(String) }),
    });

    await waitFor(() => room.refusals.some((r) => r.code === "account_suspended"), "eve's socket to be told");
    expect((await eve.api.get("/api/v1/users/me")).status).toBe(401);
    const refused = await login(eve);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: "account_suspended", message: expect.stringContaining("suspended until") });
    // A wrong password still says only that.
    const wrong = await new ApiClient(t.server.url).post("/api/v1/auth/login", { username: eve.username, password: "nope nope nope" });
    expect(wrong.body.error.code).toBe("invalid_credentials");

    await waitFor(async () => (await login(eve)).status === 200, "the suspension to lapse", 10_000);
    const audit = (await ana.api.get("/api/v1/admin/audit")).body.items as Array<{ action: string; target: string }>;
    expect(audit).toEqual(expect.arrayContaining([expect.objectContaining({ action: "suspend", target: eve.username })]));
  });

  it("refuses reports that make no sense, and limits how many one member files", async () => {
    const { ben, eve, roomId, ugly } = await scene();
    const [outsider] = await signUpAll(t.server.url, "zed");
    expect((await outsider.api.post("/api/v1/reports", { message_id: ugly, reason: "spam" })).body.error.code).toBe("message_not_found");
    expect((await eve.api.post("/api/v1/reports", { message_id: ugly, reason: "spam" })).body.error.code).toBe("cannot_report_self");
    expect((await ben.api.post("/api/v1/reports", { user_id: ben.id, reason: "spam" })).body.error.code).toBe("cannot_report_self");
    const both = await ben.api.post("/api/v1/reports", { user_id: eve.id, message_id: ugly, reason: "spam" });
    expect(both.status).toBe(400);
    expect((await ben.api.post("/api/v1/reports", { user_id: eve.id, reason: "rude" })).status).toBe(400);
    expect((await new ApiClient(t.server.url).post("/api/v1/reports", { user_id: eve.id, reason: "spam" })).status).toBe(401);

    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const text = (await eve.api.post(`/api/v1/chat/messages/${roomId}`, { content: `spam ${i}` })).body.id;
      statuses.push((await ben.api.post("/api/v1/reports", { message_id: text, reason: "spam" })).status);
    }
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429]);
  });

  it("a dismissed report changes nothing; deleting closes every open report about the message; a repeat is not counted", async () => {
    const { ana, ben, eve, roomId, ugly } = await scene();
    const [cai] = await signUpAll(t.server.url, "cai");
    await ben.api.post(`/api/v1/chat/rooms/${roomId}/members`, { user_ids: [cai.id] });
    const mild = (await eve.api.post(`/api/v1/chat/messages/${roomId}`, { content: "meh, slow pace" })).body.id as string;
    const byBen = (await ben.api.post("/api/v1/reports", { message_id: mild, reason: "other" })).body;
    // Repeating an open report answers already_reported and does not use up the hourly allowance.
    for (let i = 0; i < 6; i++)
      expect((await ben.api.post("/api/v1/reports", { message_id: mild, reason: "spam" })).body.error.code).toBe("already_reported");
    const dismissed = await ana.api.post(`/api/v1/admin/reports/${byBen.id}/resolve`, { action: "dismiss", note: "banter" });
    expect(dismissed.status).toBe(200);
    expect(dismissed.body).toMatchObject({ id: byBen.id, status: "resolved", resolution: "dismissed", resolution_note: "banter" });
    const still = (await cai.api.get(`/api/v1/chat/messages/${roomId}`)).body.items.find((m: { id: string }) => m.id === mild);
    expect(still).toMatchObject({ is_deleted: false, content: "meh, slow pace" });

    const first = (await ben.api.post("/api/v1/reports", { message_id: ugly, reason: "harassment" })).body;
    const second = (await cai.api.post("/api/v1/reports", { message_id: ugly, reason: "hate" })).body;
    expect(second.status).toBe("open");
    expect((await ana.api.post(`/api/v1/admin/reports/${first.id}/resolve`, { action: "delete_message" })).status).toBe(200);
    const open = (await ana.api.get("/api/v1/admin/reports")).body.items as Array<{ id: string }>;
    expect(open.map((r) => r.id)).not.toContain(second.id);
    const all = (await ana.api.get("/api/v1/admin/reports?status=resolved")).body.items as Array<{ id: string; resolution: string }>;
    expect(all.find((r) => r.id === second.id)?.resolution).toBe("message_deleted");
    const audit = (await ana.api.get("/api/v1/admin/audit")).body.items as Array<{ action: string }>;
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(["report-dismiss", "report-delete_message"]));
  });

  it("works the queue from the command line: list, delete, suspend, unsuspend", async () => {
    const { ben, eve, ugly } = await scene();
    const env = { ...process.env, ...t.database.env, LOG_LEVEL: "silent" };
    const admin = (...args: string[]) => run(process.execPath, ["--import", "tsx", "server/admin/cli.ts", ...args], { cwd: root, env });
    const filed = (await ben.api.post("/api/v1/reports", { message_id: ugly, reason: "hate" })).body;

    const table = (await admin("reports")).stdout;
    expect(table).toContain(filed.id);
    expect(table).toContain("you are all slow losers");
    await admin("resolve-report", filed.id, "--delete-message", "--note", "hateful");
    const message = (await ben.api.get(`/api/v1/chat/messages/${filed.room_id}`)).body.items.find((m: { id: string }) => m.id === ugly);
    expect(message).toMatchObject({ is_deleted: true, content: null });
    expect((await admin("reports")).stdout).not.toContain(filed.id);
    const resolved = JSON.parse((await admin("--json", "reports", "--status", "resolved")).stdout);
    expect(resolved[0]).toMatchObject({ id: filed.id, resolution: "message_deleted", resolved_by: expect.stringMatching(/^cli:/) });

    await admin("suspend", eve.username, "--hours", "24", "--reason", "repeat offender");
    expect((await login(eve)).body.error.code).toBe("account_suspended");
    await admin("unsuspend", eve.username);
    expect((await login(eve)).status).toBe(200);
    const bad = await admin("resolve-report", filed.id).catch((error: { code: number; stderr: string }) => error);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining("--dismiss") });
  }, 120_000); // several CLI processes, each starting tsx
});
