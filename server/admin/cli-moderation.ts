import { type Command, InvalidArgumentError, Option } from "commander";
import type { AdminReport } from "../../shared/api/reports.ts";
import type { AdminApi } from "./http-admin.ts";
import { formatTable } from "./table.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const reportId = (value: string) => {
  if (!UUID.test(value)) throw new InvalidArgumentError("a report id is a UUID");
  return value;
};
const hours = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 24 * 366) throw new InvalidArgumentError("hours: more than 0, at most a year (8784)");
  return n;
};

/** One line per report, for the table. */
function row(r: AdminReport): Record<string, unknown> {
  return {
    id: r.id,
    created: r.created_at.slice(0, 16).replace("T", " "),
    reason: r.reason,
    reporter: r.reporter.username,
    about:
      r.target_type === "message"
        ? `message by ${r.target_user.username} in ${r.room_name ?? "a direct chat"}`
        : `user ${r.target_user.username}`,
    text: (r.message_excerpt ?? "").slice(0, 60),
    details: (r.details ?? "").slice(0, 40),
    status: r.status === "open" ? "open" : `${r.resolution} by ${r.resolved_by}`,
  };
}

/** `reports`, `resolve-report`, `suspend` and `unsuspend`: the moderation queue from the command line. */
export function addModerationCommands(
  program: Command,
  withOperations: (work: (ops: AdminApi) => Promise<void>) => Promise<void>,
  print: (data: unknown, table: () => string) => void,
): void {
  program
    .command("reports")
    .description("the report queue: open reports oldest first (or resolved ones, newest first)")
    .addOption(new Option("--status <status>", "which reports").choices(["open", "resolved", "all"]).default("open"))
    .option("--limit <n>", "at most this many", (v) => Number(v), 100)
    .action((options: { status: "open" | "resolved" | "all"; limit: number }) =>
      withOperations(async (ops) => {
        const reports = await ops.reports(options.status, options.limit);
        print(reports, () => (reports.length === 0 ? `No ${options.status} reports.` : formatTable(reports.map(row))));
      }),
    );

  program
    .command("resolve-report")
    .description("resolve a report: dismiss it, delete the reported message, or suspend the reported user")
    .argument("<report-id>", "the report's UUID", reportId)
    .addOption(new Option("--dismiss", "nothing to do").conflicts(["deleteMessage", "suspend"]))
    .addOption(new Option("--delete-message", "delete the reported message for everyone").conflicts(["suspend"]))
    .option("--suspend <hours>", "suspend the reported user for this many hours", hours)
    .option("--note <text>", "why, for the audit trail")
    .action((id: string, options: { dismiss?: boolean; deleteMessage?: boolean; suspend?: number; note?: string }) =>
      withOperations(async (ops) => {
        const note = options.note ? { note: options.note } : {};
        const resolve = options.dismiss
          ? { action: "dismiss" as const, ...note }
          : options.deleteMessage
            ? { action: "delete_message" as const, ...note }
            : options.suspend !== undefined
              ? { action: "suspend_user" as const, hours: options.suspend, ...note }
              : null;
        if (!resolve) throw new Error("Say how: --dismiss, --delete-message or --suspend <hours>.");
        const report = await ops.resolveReport(id, resolve);
        print(report, () => `Report ${id}: ${report.resolution}.`);
      }),
    );

  program
    .command("suspend")
    .description("suspend a user: their sessions end now and they cannot log in until it lapses")
    .argument("<username>")
    .requiredOption("--hours <n>", "for how long", hours)
    .option("--reason <text>", "why, for the audit trail")
    .action((username: string, options: { hours: number; reason?: string }) =>
      withOperations(async (ops) => {
        const result = await ops.suspend(username, options.hours, options.reason);
        print(result, () => `${username} is suspended until ${result.suspended_until}.`);
      }),
    );

  program
    .command("unsuspend")
    .description("lift a suspension before it lapses")
    .argument("<username>")
    .action((username: string) =>
      withOperations(async (ops) => {
        const result = await ops.unsuspend(username);
        print(result, () => `${username} may log in again.`);
      }),
    );
}
