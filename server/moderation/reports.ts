import type { AdminReport, ReportCreate, ReportResponse } from "../../shared/api/reports.ts";
import { newId } from "../../shared/ids.ts";
import type { Queryable } from "../db/database.ts";

/** What a new report is about, as the route established it (membership checked, excerpt read). */
export type ReportTarget =
  | { type: "message"; roomId: string; messageId: string; senderId: string; excerpt: string | null }
  | { type: "user"; userId: string };

const REPORT_COLUMNS = `r.id, r.target_type, r.message_id, r.room_id, r.target_user_id AS user_id, r.reason, r.details,
  r.status, r.created_at`;

interface ReportRow extends Omit<ReportResponse, "created_at"> {
  created_at: Date;
}

const toResponse = (row: ReportRow): ReportResponse => ({ ...row, created_at: row.created_at.toISOString() });

/** Whether the reporter already has an open report about this target (checked before the rate limit counts one). */
export async function hasOpenReport(db: Queryable, reporterId: string, target: ReportTarget): Promise<boolean> {
  const { rows } = await db.query(
    `SELECT 1 FROM reports
      WHERE reporter_id = $1 AND target_type = $2 AND status = 'open' AND COALESCE(message_id, target_user_id) = $3`,
    [reporterId, target.type, target.type === "message" ? target.messageId : target.userId],
  );
  return rows.length > 0;
}

/** File a report; null when the reporter already has an open one about the same target. */
export async function fileReport(
  db: Queryable,
  reporterId: string,
  target: ReportTarget,
  body: ReportCreate,
): Promise<ReportResponse | null> {
  const message = target.type === "message" ? target : null;
  const { rows } = await db.query<ReportRow>(
    `INSERT INTO reports AS r (id, reporter_id, target_type, target_user_id, room_id, message_id, message_excerpt, reason, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT DO NOTHING
     RETURNING ${REPORT_COLUMNS}`,
    [
      newId(),
      reporterId,
      target.type,
      message ? message.senderId : target.type === "user" ? target.userId : null,
      message?.roomId ?? null,
      message?.messageId ?? null,
      message?.excerpt ?? null,
      body.reason,
      body.details || null,
    ],
  );
  return rows[0] ? toResponse(rows[0]) : null;
}

const userJson = (alias: string) =>
  `json_build_object('id', ${alias}.id, 'username', ${alias}.username, 'display_name', ${alias}.display_name, 'avatar_url', ${alias}.avatar_url)`;

/** The admin queue: open reports oldest first, or resolved ones newest first. */
export async function listReports(
  db: Queryable,
  options: { status: "open" | "resolved" | "all"; limit: number; id?: string },
): Promise<AdminReport[]> {
  const { rows } = await db.query<
    ReportRow & Omit<AdminReport, keyof ReportResponse | "resolved_at"> & { resolved_at: Date | null; suspended_until: Date | null }
  >(
    `SELECT ${REPORT_COLUMNS}, ${userJson("reporter")} AS reporter, ${userJson("target")} AS target_user,
            target.suspended_until, room.name AS room_name, r.message_excerpt, r.resolution, r.resolution_note,
            r.resolved_by, r.resolved_at
       FROM reports r
       JOIN users reporter ON reporter.id = r.reporter_id
       JOIN users target ON target.id = r.target_user_id
       LEFT JOIN chat_rooms room ON room.id = r.room_id
      WHERE ($1 = 'all' OR r.status = $1) AND ($3::uuid IS NULL OR r.id = $3)
      ORDER BY CASE WHEN r.status = 'open' THEN r.created_at END ASC, r.resolved_at DESC, r.id
      LIMIT $2`,
    [options.status, options.limit, options.id ?? null],
  );
  return rows.map(({ suspended_until, ...row }) => ({
    ...toResponse(row),
    reporter: row.reporter,
    target_user: {
      ...row.target_user,
      suspended_until: suspended_until && suspended_until > new Date() ? suspended_until.toISOString() : null,
    },
    room_name: row.room_name,
    message_excerpt: row.message_excerpt,
    resolution: row.resolution,
    resolution_note: row.resolution_note,
    resolved_by: row.resolved_by,
    resolved_at: row.resolved_at ? row.resolved_at.toISOString() : null,
  }));
}

/**
 * Close open reports with a resolution: `ids` always, plus every other open report about the same
 * message (a deleted message needs no second look) or the same person (a suspended one neither).
 * Returns how many were closed.
 */
export async function closeReports(
  db: Queryable,
  report: AdminReport,
  resolution: NonNullable<AdminReport["resolution"]>,
  resolvedBy: string,
  note: string | undefined,
): Promise<number> {
  const { rows } = await db.query(
    `UPDATE reports SET status = 'resolved', resolution = $2, resolution_note = $3, resolved_by = $4, resolved_at = now()
      WHERE status = 'open' AND (id = $1
        OR ($2 = 'message_deleted' AND message_id = $5::uuid)
        OR ($2 = 'user_suspended' AND target_user_id = $6::uuid))
      RETURNING id`,
    [report.id, resolution, note ?? null, resolvedBy, report.message_id, report.user_id],
  );
  return rows.length;
}
