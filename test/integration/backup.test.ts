import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { ApiClient, signUpAll } from "../helpers/api-client.ts";
import { backendsUnderTest, createThrowawayDatabase, type ThrowawayDatabase } from "../helpers/backends.ts";
import { startTestServer } from "../helpers/test-server.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);

describe.each(backendsUnderTest())("backup and restore on %s", (backend) => {
  const databases: ThrowawayDatabase[] = [];
  const folders: string[] = [];
  afterAll(async () => {
    for (const d of databases) await d.drop();
    for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
  });
  const admin = (database: ThrowawayDatabase, ...args: string[]) =>
    run(process.execPath, ["--import", "tsx", "server/admin/cli.ts", ...args], {
      cwd: root,
      env: { ...process.env, ...database.env, LOG_LEVEL: "silent" },
    });

  it("brings back every account, room, message and document into an empty database", async () => {
    const source = await createThrowawayDatabase(backend);
    const target = await createThrowawayDatabase(backend);
    databases.push(source, target);
    const original = await startTestServer(backend, source);
    const [ana, ben] = await signUpAll(original.url, "ana", "ben");
    const room = (await ana.api.post("/api/v1/chat/rooms", { type: "group", name: "Crew", participant_ids: [ben.id] })).body;
    for (const content of ["Hills at 7", "In", "Bring water"]) await ana.api.post(`/api/v1/chat/messages/${room.id}`, { content });
    const before = (await ben.api.get(`/api/v1/chat/messages/${room.id}`)).body.items;
    await original.stop(); // the embedded database is held by one process: back it up stopped

    const folder = fs.mkdtempSync(path.join(os.tmpdir(), "chat-backup-"));
    folders.push(folder);
    const file = path.join(folder, "backup.dump");
    expect((await admin(source, "backup", file)).stdout).toContain(`Backed up to ${file}`);
    expect(fs.statSync(file).size).toBeGreaterThan(1000);
    expect((await admin(target, "restore", file)).stdout).toContain("Restored");

    const restored = await startTestServer(backend, target);
    try {
      // The same sessions work (they are data too), and so does logging in again.
      const again = new ApiClient(restored.url, ben.token);
      expect((await again.get(`/api/v1/chat/messages/${room.id}`)).body.items).toEqual(before);
      const login = await new ApiClient(restored.url).post("/api/v1/auth/login", {
        username: ana.username,
        password: "correct horse battery",
      });
      expect(login.status).toBe(200);
    } finally {
      await restored.stop();
    }
    const audit = JSON.parse((await admin(target, "--json", "audit")).stdout) as Array<{ action: string }>;
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(["backup", "restore"]));
  }, 120_000);
});
