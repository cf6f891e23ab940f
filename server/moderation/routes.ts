import type { FastifyInstance } from "fastify";
import { reportCreateSchema } from "../../shared/api/reports.ts";
import { getMessage } from "../../shared/room-doc/index.ts";
import { toStorableText } from "../../shared/text/storable.ts";
import type { AppContext } from "../app-context.ts";
import { requireUser } from "../auth/require-user.ts";
import { HttpError } from "../http/http-error.ts";
import { parse } from "../http/parse.ts";
import { consumeOrRefuse } from "../http/rate-limit.ts";
import { isCurrentMember } from "../rooms/membership.ts";
import { fileReport, hasOpenReport, type ReportTarget } from "./reports.ts";

/** POST /api/v1/reports: a member reports a message of a room they are in, or a person. */
export function reportRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx;

  /** The reported message and its text now; 404 unless the reporter can see it. */
  async function messageTarget(reporterId: string, messageId: string): Promise<ReportTarget> {
    const { rows } = await db.query<{ room_id: string; segment: number }>(
      "SELECT room_id, segment FROM chat_message_index WHERE message_id = $1",
      [messageId],
    );
    const roomId = rows[0]?.room_id;
    if (!roomId || !(await isCurrentMember(db, roomId, reporterId)))
      throw new HttpError("message_not_found", "No such message in your rooms.");
    // Read from the room's document that holds it (docs/architecture.md "Long-lived rooms").
    const message = await ctx.rooms.read(roomId, (doc) => getMessage(doc, messageId), rows[0]?.segment ?? 0);
    if (!message || message.type === "system") throw new HttpError("message_not_found", "No such message in your rooms.");
    return {
      type: "message",
      roomId,
      messageId,
      senderId: message.sender_id,
      excerpt: message.deleted || message.content === null ? null : toStorableText(message.content),
    };
  }

  app.post("/api/v1/reports", async (request, reply) => {
    const me = await requireUser(db, request);
    const body = parse(reportCreateSchema, request.body);
    let target: ReportTarget;
    if (body.message_id) {
      target = await messageTarget(me.id, body.message_id);
    } else {
      const { rows } = await db.query("SELECT 1 FROM users WHERE id = $1", [body.user_id]);
      if (rows.length === 0) throw new HttpError("user_not_found", "No such user.");
      target = { type: "user", userId: body.user_id as string };
    }
    const reported = target.type === "message" ? target.senderId : target.userId;
    if (reported === me.id) throw new HttpError("cannot_report_self", "You cannot report yourself or your own message.");
    // A repeat of an open report is answered without counting it: it files nothing.
    const already = new HttpError("already_reported", "You already reported this; an admin will look at it.");
    if (await hasOpenReport(db, me.id, target)) throw already;
    await consumeOrRefuse(ctx.reportLimiter, me.id, "reports");
    const report = await fileReport(db, me.id, target, body);
    if (!report) throw already;
    reply.code(201);
    return report;
  });
}
