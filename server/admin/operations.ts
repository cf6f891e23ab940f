import type { AdminReport, ReportResolve } from "../../shared/api/reports.ts";
import { type RoomDocJSON, roomChainToJSON } from "../../shared/room-doc/index.ts";
import type { ClusterEvent } from "../cluster/bus.ts";
import type { Database } from "../db/database.ts";
import { type DocumentStore, sqlDocumentStore } from "../documents/document-store.ts";
import { removeMediaOfMessage } from "../media/cleanup.ts";
import type { MediaStore } from "../media/media-store.ts";
import { closeReports, listReports } from "../moderation/reports.ts";
import { suspendUser, unsuspendUser } from "../moderation/suspension.ts";
import { roomDocumentNames } from "../rooms/segments.ts";
import { repairRoom } from "../sync/mirror-rebuild.ts";
import { type Actor, type AuditEntry, listAudit, recordAudit } from "./audit.ts";
import { eraseMessage } from "./erase.ts";
import { documentHistory, type HistoryEntry } from "./history.ts";
import { deleteStoredMessage } from "./moderator-delete.ts";
import { Conflict, NotFound } from "./operations-errors.ts";
import { setServerAdmin } from "./roles.ts";
import { listRoomReports, type RoomReport, type RoomSort, roomMembers } from "./room-report.ts";
import { type Mismatch, verifyRoom } from "./verify.ts";

/** A room's summary for `room <id>` and the admin page. */
export interface RoomDetail extends RoomReport {
  members_list: Array<{ username: string; role: string; joined_at: string }>;
  last_messages: RoomDocJSON["messages"];
}

export { Conflict, NotFound };

/** How a message is deleted as moderation: through the live document on a server, or the stored one from the CLI. */
export type ModeratorDelete = (roomId: string, messageId: string, actorUserId: string | null) => Promise<void>;

/**
 * What operators can do, for the CLI and the admin API alike: each call is audited with who did
 * it, so the page and the command line leave the same trail.
 */
export class AdminOperations {
  private readonly store: DocumentStore;

  constructor(
    private readonly db: Database,
    private readonly actor: Actor,
    /** Tells every server process (the cluster bus); the CLI sends it as a NOTIFY. */
    private readonly publish: (event: ClusterEvent) => Promise<void>,
    /** Deletes through the live document when a server runs this; else the stored one is changed. */
    private readonly deleteAsModerator: ModeratorDelete = (roomId, messageId, actorUserId) =>
      deleteStoredMessage(db, publish, roomId, messageId, actorUserId),
    /** Where uploads live: erasing a message removes its images and files at once, not at the next cleanup. */
    private readonly mediaStore: MediaStore | null = null,
  ) {
    this.store = sqlDocumentStore(db);
  }

  /** The report queue: open ones oldest first, or resolved ones newest first. */
  async reports(status: "open" | "resolved" | "all" = "open", limit = 100): Promise<AdminReport[]> {
    await recordAudit(this.db, this.actor, "reports", null, { status });
    return listReports(this.db, { status, limit });
  }

  /**
   * Resolve an open report: dismiss it, delete the reported message, or suspend the reported
   * person. Deleting or suspending also closes the other open reports about the same message or
   * person. Audited with the report and what was done.
   */
  async resolveReport(reportId: string, resolve: ReportResolve): Promise<AdminReport> {
    const [report] = await listReports(this.db, { status: "all", limit: 1, id: reportId });
    if (!report) throw new NotFound(`No report ${reportId}.`);
    if (report.status !== "open") throw new Conflict(`Report ${reportId} was already resolved (${report.resolution}).`, "report_resolved");
    let resolution: NonNullable<AdminReport["resolution"]>;
    switch (resolve.action) {
      case "dismiss":
        resolution = "dismissed";
        break;
      case "delete_message":
        if (!report.room_id || !report.message_id)
          throw new Conflict("This report is about a person, not a message: dismiss it or suspend them.");
        await this.deleteAsModerator(report.room_id, report.message_id, this.actor.userId);
        resolution = "message_deleted";
        break;
      case "suspend_user":
        await this.suspend(report.target_user.username, resolve.hours, resolve.note ?? `report ${report.id}: ${report.reason}`);
        resolution = "user_suspended";
        break;
      default:
        return assertNever(resolve);
    }
    const closed = await closeReports(this.db, report, resolution, this.actor.name, resolve.note);
    await recordAudit(this.db, this.actor, `report-${resolve.action}`, report.id, {
      reason: report.reason,
      target_user: report.target_user.username,
      message_id: report.message_id,
      reports_closed: closed,
      ...(resolve.action === "suspend_user" ? { hours: resolve.hours } : {}),
    });
    const [updated] = await listReports(this.db, { status: "all", limit: 1, id: reportId });
    return updated ?? report;
  }

  /** Suspend a user for `hours`: sessions end at once, sockets close, logging in is refused until it lapses. */
  async suspend(username: string, hours: number, reason?: string): Promise<{ username: string; suspended_until: string }> {
    const { rows } = await this.db.query<{ id: string }>("SELECT id FROM users WHERE lower(username) = lower($1)", [username]);
    if (rows[0] && rows[0].id === this.actor.userId) throw new Conflict("You cannot suspend yourself.");
    const until = new Date(Date.now() + hours * 3_600_000);
    const userId = await suspendUser(this.db, username, until, reason ?? null);
    if (!userId) throw new NotFound(`No user "${username}".`);
    await this.publish({ type: "user_suspended", userId });
    await recordAudit(this.db, this.actor, "suspend", username, { hours, until: until.toISOString(), reason: reason ?? null });
    return { username, suspended_until: until.toISOString() };
  }

  /** Lift a suspension before it lapses. */
  async unsuspend(username: string): Promise<{ username: string; suspended_until: null }> {
    if (!(await unsuspendUser(this.db, username))) throw new NotFound(`No user "${username}".`);
    await recordAudit(this.db, this.actor, "unsuspend", username);
    return { username, suspended_until: null };
  }

  async rooms(options: { sort?: RoomSort; type?: "direct" | "group"; name?: string; limit?: number } = {}): Promise<RoomReport[]> {
    await recordAudit(this.db, this.actor, "rooms", null, options);
    return listRoomReports(this.db, options);
  }

  async room(roomId: string, lastMessages = 10): Promise<RoomDetail> {
    const [report] = await listRoomReports(this.db, { roomId });
    if (!report) throw new NotFound(`No room ${roomId}.`);
    await recordAudit(this.db, this.actor, "room", roomId);
    const json = await this.roomAt(roomId);
    return { ...report, members_list: await roomMembers(this.db, roomId), last_messages: json.messages.slice(-lastMessages) };
  }

  async dump(roomId: string, at?: Date): Promise<RoomDocJSON & { room_id: string; at: string }> {
    await this.mustExist(roomId);
    await recordAudit(this.db, this.actor, "dump", roomId, at ? { at: at.toISOString() } : {});
    const json = await this.roomAt(roomId, at);
    return { room_id: roomId, at: (at ?? new Date()).toISOString(), ...json };
  }

  /** The room as it was at `at` (now when omitted), across its head and segments. */
  private async roomAt(roomId: string, at?: Date): Promise<RoomDocJSON> {
    const docs = await Promise.all((await roomDocumentNames(this.db, roomId)).map((name) => this.store.loadAt(name, at)));
    const json = roomChainToJSON(docs);
    for (const doc of docs) doc.destroy();
    return json;
  }

  async history(roomId: string, limit = 100): Promise<HistoryEntry[]> {
    await this.mustExist(roomId);
    await recordAudit(this.db, this.actor, "history", roomId);
    // Log ids are one sequence over every document: the room's entries in the order they were stored.
    const names = await roomDocumentNames(this.db, roomId);
    const entries = (await Promise.all(names.map((name) => documentHistory(this.store, name, limit)))).flat();
    return entries.sort((a, b) => a.id - b.id).slice(-limit);
  }

  /** Check one room, or every room; with `repair`, rebuild the relational side of each that disagrees. */
  async verify(roomId?: string, repair = false): Promise<{ checked: number; mismatches: Mismatch[]; repaired: string[] }> {
    const ids = roomId ? [roomId] : await this.allRoomIds();
    if (roomId) await this.mustExist(roomId);
    const mismatches: Mismatch[] = [];
    const repaired: string[] = [];
    for (const id of ids) {
      const found = await verifyRoom(this.db, id);
      mismatches.push(...found);
      if (repair && found.length > 0) {
        const { rewritten } = await repairRoom(this.db, id);
        if (rewritten.length > 0) await this.publish({ type: "documents_rewritten", documentNames: rewritten });
        repaired.push(id);
      }
    }
    await recordAudit(this.db, this.actor, repair ? "verify --repair" : "verify", roomId ?? null, {
      checked: ids.length,
      mismatches: mismatches.length,
      repaired,
    });
    return { checked: ids.length, mismatches, repaired };
  }

  /** Fold the update log of one room, or every room, into snapshots now. */
  async compact(roomId?: string): Promise<Array<{ room_id: string; before: number; after: number; folded: number }>> {
    const ids = roomId ? [roomId] : await this.allRoomIds();
    if (roomId) await this.mustExist(roomId);
    const results = [];
    for (const id of ids) {
      for (const name of await roomDocumentNames(this.db, id)) {
        const result = await this.store.compact(name);
        if (result) results.push({ room_id: id, ...result });
      }
    }
    await recordAudit(this.db, this.actor, "compact", roomId ?? null, { rooms: results.length });
    return results;
  }

  /**
   * Erase a message for good (see erase.ts), then make every process drop its live copies of the
   * rewritten documents, so connected clients resync to the erased state.
   */
  async erase(
    roomId: string,
    messageId: string,
  ): Promise<{ room_id: string; message_id: string; documents_rewritten: number; media_removed: number }> {
    await this.mustExist(roomId);
    const documentNames = await eraseMessage(this.db, roomId, messageId);
    await this.publish({ type: "documents_rewritten", documentNames });
    // The erase stands even if the store fails now: the message index says deleted, so the next
    // cleanup pass removes the uploads; the audit records what happened either way.
    const mediaRemoved = this.mediaStore ? await removeMediaOfMessage(this.db, this.mediaStore, roomId, messageId).catch(() => -1) : 0;
    await recordAudit(this.db, this.actor, "erase-message", roomId, { message_id: messageId, media_removed: mediaRemoved });
    return { room_id: roomId, message_id: messageId, documents_rewritten: documentNames.length, media_removed: mediaRemoved };
  }

  /** Apply the history retention policy now (the server also does it every hour). */
  async retention(days: number): Promise<{ updates_removed: number; snapshots_removed: number }> {
    const result = await this.db.transaction((tx) => this.store.in(tx).pruneHistory(days));
    await recordAudit(this.db, this.actor, "retention", null, { days, ...result });
    return result;
  }

  /** Record an action done outside the database (a backup, a restore). */
  async note(action: string, details: Record<string, unknown>): Promise<void> {
    await recordAudit(this.db, this.actor, action, null, details);
  }

  async setAdmin(username: string, admin: boolean): Promise<void> {
    if (!(await setServerAdmin(this.db, username, admin))) throw new NotFound(`No user "${username}".`);
    await recordAudit(this.db, this.actor, admin ? "grant-admin" : "revoke-admin", username);
  }

  audit(limit = 100): Promise<AuditEntry[]> {
    return listAudit(this.db, limit);
  }

  private async mustExist(roomId: string): Promise<void> {
    const { rows } = await this.db.query("SELECT 1 FROM chat_rooms WHERE id = $1", [roomId]);
    if (rows.length === 0) throw new NotFound(`No room ${roomId}.`);
  }

  private async allRoomIds(): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>("SELECT id FROM chat_rooms ORDER BY id");
    return rows.map((r) => r.id);
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}
