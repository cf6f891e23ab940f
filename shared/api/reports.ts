import { z } from "zod";
import { userSchema } from "./common.ts";
import { text } from "./text.ts";

/** Why a member reports a message or a person. */
export const reportReasonSchema = z.enum(["spam", "harassment", "hate", "sexual", "violence", "self_harm", "other"]);
export type ReportReason = z.infer<typeof reportReasonSchema>;

/** POST /api/v1/reports: a message (by id) or a person (by id), with a reason. */
export const reportCreateSchema = z
  .strictObject({
    message_id: z.uuid().optional(),
    user_id: z.uuid().optional(),
    reason: reportReasonSchema,
    details: text().trim().max(1000).optional(),
  })
  .refine((r) => (r.message_id === undefined) !== (r.user_id === undefined), {
    message: "name exactly one of message_id and user_id",
    path: ["message_id"],
  });
export type ReportCreate = z.infer<typeof reportCreateSchema>;

/** A report as its reporter sees it. */
export const reportResponseSchema = z.object({
  id: z.uuid(),
  target_type: z.enum(["message", "user"]),
  message_id: z.string().nullable(),
  room_id: z.string().nullable(),
  user_id: z.string(),
  reason: reportReasonSchema,
  details: z.string().nullable(),
  status: z.enum(["open", "resolved"]),
  created_at: z.string(),
});
export type ReportResponse = z.infer<typeof reportResponseSchema>;

/** How an admin resolves a report (POST /api/v1/admin/reports/{id}/resolve). */
export const reportResolveSchema = z.discriminatedUnion("action", [
  z.strictObject({ action: z.literal("dismiss"), note: text().max(1000).optional() }),
  z.strictObject({ action: z.literal("delete_message"), note: text().max(1000).optional() }),
  z.strictObject({
    action: z.literal("suspend_user"),
    /** How long; fractions allowed (0.5 is half an hour), up to a year. */
    hours: z
      .number()
      .positive()
      .max(24 * 366),
    note: text().max(1000).optional(),
  }),
]);
export type ReportResolve = z.infer<typeof reportResolveSchema>;

/** A report in the admin queue: who reported whom, what was said, and how it ended. */
export const adminReportSchema = reportResponseSchema.extend({
  reporter: userSchema,
  target_user: userSchema.extend({ suspended_until: z.string().nullable() }),
  room_name: z.string().nullable(),
  message_excerpt: z.string().nullable(),
  resolution: z.enum(["dismissed", "message_deleted", "user_suspended"]).nullable(),
  resolution_note: z.string().nullable(),
  resolved_by: z.string().nullable(),
  resolved_at: z.string().nullable(),
});
export type AdminReport = z.infer<typeof adminReportSchema>;

/** PUT /api/v1/admin/users/{username}/suspension */
export const suspensionSchema = z.strictObject({
  hours: z
    .number()
    .positive()
    .max(24 * 366),
  reason: text().max(1000).optional(),
});

/** A suspension as the admin API reports it. */
export const suspensionResponseSchema = z.object({
  username: z.string(),
  suspended_until: z.string().nullable(),
});
