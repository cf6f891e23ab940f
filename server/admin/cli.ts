/**
 * `npm run admin -- <command>`: what operators ask of the stored data, without writing code. Works
 * against the configured database (DATABASE_URL, else the embedded one under DATA_DIR), with or
 * without the server running; every command is audited as `cli:<os user>`.
 */
import os from "node:os";
import { Command, InvalidArgumentError, Option } from "commander";
import { CLUSTER_CHANNEL, type ClusterEvent } from "../cluster/bus.ts";
import { loadConfig } from "../config.ts";
import type { Database } from "../db/database.ts";
import { migrateUp } from "../db/migrate.ts";
import { openDatabase } from "../db/open.ts";
import { openMediaStore } from "../media/media-library.ts";
import { backup, restore } from "./backup.ts";
import { addModerationCommands } from "./cli-moderation.ts";
import { type AdminApi, HttpAdmin } from "./http-admin.ts";
import { AdminOperations, NotFound } from "./operations.ts";
import { readOperatorAccess } from "./operator-token.ts";
import { ROOM_SORTS, type RoomSort } from "./room-report.ts";
import { formatTable } from "./table.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const roomId = (value: string) => {
  if (!UUID.test(value)) throw new InvalidArgumentError("a room id is a UUID");
  return value;
};
const time = (value: string) => {
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new InvalidArgumentError('use an ISO time such as "2026-11-23T09:00:00Z"');
  return at;
};
const positive = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("a positive whole number");
  return n;
};

/**
 * Run `work` with the admin operations: on the database itself (migrated first), or, when a
 * running server holds the embedded database, through that server's admin API.
 */
async function withOperations(work: (ops: AdminApi) => Promise<void>): Promise<void> {
  const config = loadConfig();
  const operator = os.userInfo().username;
  let db: Database;
  try {
    db = await openDatabase(config);
  } catch (error) {
    const access = config.DATABASE_URL ? null : readOperatorAccess(config.dataDir);
    if (access) return work(new HttpAdmin(access, operator));
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}\nStop the server to use the CLI on the embedded database, or run the server on PostgreSQL (DATABASE_URL).`,
    );
  }
  try {
    await migrateUp(db);
    // Running servers hear about rewritten documents through the cluster channel (PostgreSQL NOTIFY).
    const publish = async (event: ClusterEvent) => {
      await db.query("SELECT pg_notify($1, $2)", [CLUSTER_CHANNEL, JSON.stringify(event)]);
    };
    const mediaStore = openMediaStore(config);
    try {
      await work(new AdminOperations(db, { name: `cli:${operator}`, userId: null }, publish, undefined, mediaStore));
    } finally {
      mediaStore.close();
    }
  } finally {
    await db.close();
  }
}

const program = new Command("admin")
  .description("Inspect, verify, time-travel and maintain the stored chat rooms.")
  .option("--json", "print JSON instead of tables")
  .showHelpAfterError();
const json = () => Boolean(program.opts().json);
const print = (data: unknown, table: () => string) => console.log(json() ? JSON.stringify(data, null, 2) : table());

program
  .command("rooms")
  .description("every room with type, members, messages, document bytes, log length and last activity")
  .addOption(new Option("--sort <by>", "order").choices(ROOM_SORTS).default("activity"))
  .addOption(new Option("--type <type>", "only direct or group rooms").choices(["direct", "group"]))
  .option("--name <text>", "only rooms whose name contains this")
  .option("--limit <n>", "at most this many", positive, 1000)
  .action((options: { sort: RoomSort; type?: "direct" | "group"; name?: string; limit: number }) =>
    withOperations(async (ops) => {
      const rooms = await ops.rooms(options);
      print(rooms, () => formatTable(rooms as unknown as Array<Record<string, unknown>>));
    }),
  );

program
  .command("room")
  .description("one room: summary, members and roles, sizes, the last few messages")
  .argument("<room-id>", "the room's UUID", roomId)
  .option("--last <n>", "how many recent messages", positive, 10)
  .action((id: string, options: { last: number }) =>
    withOperations(async (ops) => {
      const room = await ops.room(id, options.last);
      print(room, () =>
        [
          formatTable(
            [room as unknown as Record<string, unknown>],
            ["id", "type", "name", "members", "messages", "document_bytes", "log_entries", "last_activity"],
          ),
          "",
          formatTable(room.members_list),
          "",
          formatTable(
            room.last_messages.map((m) => ({
              seq: m.seq,
              sender: m.sender_id,
              at: m.created_at,
              content: m.deleted ? "(deleted)" : m.content,
            })),
          ),
        ].join("\n"),
      );
    }),
  );

program
  .command("dump")
  .description("the room's messages, reactions and receipts as JSON, now or as they were at a past time")
  .argument("<room-id>", "the room's UUID", roomId)
  .option("--at <time>", "rebuild the room as it was at this time (ISO 8601)", time)
  .action((id: string, options: { at?: Date }) =>
    withOperations(async (ops) => {
      console.log(JSON.stringify(await ops.dump(id, options.at), null, 2));
    }),
  );

program
  .command("history")
  .description("the timeline of stored changes: when, by whom, how many bytes, what changed")
  .argument("<room-id>", "the room's UUID", roomId)
  .option("--limit <n>", "the last n entries", positive, 100)
  .action((id: string, options: { limit: number }) =>
    withOperations(async (ops) => {
      const entries = await ops.history(id, options.limit);
      print(entries, () => formatTable(entries.map((e) => ({ ...e, changes: e.changes.join(", ") }))));
    }),
  );

program
  .command("verify")
  .description("decode every stored room and check the relational side agrees; exits 1 on a mismatch")
  .argument("[room-id]", "only this room", roomId)
  .option("--repair", "rebuild the relational side of every room that disagrees from its document")
  .action((id: string | undefined, options: { repair?: boolean }) =>
    withOperations(async (ops) => {
      const result = await ops.verify(id, options.repair ?? false);
      print(result, () =>
        [
          `${result.checked} room(s) checked, ${result.mismatches.length} mismatch(es)${options.repair ? `, ${result.repaired.length} repaired` : ""}`,
          ...(result.mismatches.length ? ["", formatTable(result.mismatches as unknown as Array<Record<string, unknown>>)] : []),
        ].join("\n"),
      );
      if (result.mismatches.length > 0 && !options.repair) process.exitCode = 1;
    }),
  );

program
  .command("compact")
  .description("fold the update log into a snapshot now, reporting bytes before and after")
  .argument("[room-id]", "only this room", roomId)
  .action((id: string | undefined) =>
    withOperations(async (ops) => {
      const results = await ops.compact(id);
      print(results, () => formatTable(results));
    }),
  );

program
  .command("retention")
  .description("fold update-log history older than the retention window (HISTORY_RETENTION_DAYS) away now")
  .option("--days <n>", "keep this many days instead", positive)
  .action((options: { days?: number }) =>
    withOperations(async (ops) => {
      const result = await ops.retention(options.days ?? loadConfig().HISTORY_RETENTION_DAYS);
      print(result, () => `Removed ${result.updates_removed} log entries and ${result.snapshots_removed} snapshots.`);
    }),
  );

program
  .command("backup")
  .description("back up everything (relational data and documents) into one file: pg_dump, or PGlite's data dump")
  .argument("<file>", "where to write the backup")
  .action(async (file: string) => {
    // Recorded first, so the backup holds its own entry.
    await withOperations((ops) => ops.note("backup", { file }));
    const { bytes } = await backup(loadConfig(), file);
    print({ file, bytes }, () => `Backed up to ${file} (${bytes} bytes).`);
  });

program
  .command("restore")
  .description("replace everything with a backup made by 'backup' (stop the server first)")
  .argument("<file>", "the backup file")
  .action(async (file: string) => {
    await restore(loadConfig(), file);
    await withOperations((ops) => ops.note("restore", { file }));
    print({ file, restored: true }, () => `Restored from ${file}.`);
  });

program
  .command("erase-message")
  .description("delete a message for good: its text and media links are left nowhere in the database")
  .argument("<room-id>", "the room's UUID", roomId)
  .argument("<message-id>", "the message's UUID", roomId)
  .action((room: string, message: string) =>
    withOperations(async (ops) => {
      const result = await ops.erase(room, message);
      print(
        result,
        () =>
          `Erased message ${message} from room ${room} (${result.documents_rewritten} stored documents rewritten, ${result.media_removed} uploads removed).`,
      );
    }),
  );

for (const [name, admin] of [
  ["grant-admin", true],
  ["revoke-admin", false],
] as const) {
  program
    .command(name)
    .description(admin ? "make a user a server admin" : "take the server-admin role back")
    .argument("<username>")
    .action((username: string) =>
      withOperations(async (ops) => {
        await ops.setAdmin(username, admin);
        print({ username, is_server_admin: admin }, () => `${username} is ${admin ? "now" : "no longer"} a server admin.`);
      }),
    );
}

program
  .command("audit")
  .description("every admin action: who, what, on what, when (newest first)")
  .option("--limit <n>", "at most this many", positive, 100)
  .action((options: { limit: number }) =>
    withOperations(async (ops) => {
      const entries = await ops.audit(options.limit);
      print(entries, () => formatTable(entries as unknown as Array<Record<string, unknown>>));
    }),
  );

addModerationCommands(program, withOperations, print);

try {
  await program.parseAsync();
} catch (error) {
  console.error(error instanceof NotFound ? error.message : error instanceof Error ? error.message : String(error));
  process.exitCode = 2;
}
