import { z } from "zod";
import { text } from "../../shared/api/text.ts";
import { ROOM_SORTS } from "./room-report.ts";

/** GET /api/v1/admin/rooms?sort=&type=&name=&limit= */
export const adminRoomsQuerySchema = z.strictObject({
  sort: z.enum(ROOM_SORTS).default("activity"),
  type: z.enum(["direct", "group"]).optional(),
  name: text().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

/** GET /api/v1/admin/rooms/{room_id}/dump?at=: the room as it was then (now when left out). */
export const adminDumpQuerySchema = z.strictObject({ at: z.iso.datetime({ offset: true }).optional() });

/** ?limit= of the admin lists (history, audit). */
export const adminLimitQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

/** GET /api/v1/admin/reports?status=&limit= */
export const adminReportsQuerySchema = z.strictObject({
  status: z.enum(["open", "resolved", "all"]).default("open"),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** The {username} of the admin user routes. */
export const usernameParam = text().min(1).max(64);
