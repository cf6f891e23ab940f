import type { AdminReport, ReportResolve } from "../../shared/api/reports.ts";
import type { AuditEntry } from "./audit.ts";
import type { HistoryEntry } from "./history.ts";
import { type AdminOperations, Conflict, NotFound } from "./operations.ts";
import type { OperatorAccess } from "./operator-token.ts";
import type { RoomReport, RoomSort } from "./room-report.ts";

/** What the CLI asks of the stored data, whichever way it gets there. */
export type AdminApi = Pick<
  AdminOperations,
  | "rooms"
  | "room"
  | "dump"
  | "history"
  | "verify"
  | "compact"
  | "erase"
  | "retention"
  | "setAdmin"
  | "audit"
  | "note"
  | "reports"
  | "resolveReport"
  | "suspend"
  | "unsuspend"
>;

/**
 * The admin operations through a running server's admin API, for when that server holds the
 * embedded database: the same answers, audited there as `cli:<os user>`.
 */
export class HttpAdmin implements AdminApi {
  constructor(
    private readonly access: OperatorAccess,
    private readonly operator: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.access.url}/api/v1/admin${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.access.token}`,
        "x-operator": this.operator,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).catch(() => {
      throw new Error(`The server that holds the embedded database (${this.access.url}) does not answer.`);
    });
    const json = (await response.json()) as T & { error?: { code?: string; message: string } };
    if (response.status === 404) throw new NotFound(json.error?.message ?? "Not found.");
    if (response.status === 409)
      throw new Conflict(json.error?.message ?? "Conflict.", json.error?.code === "report_resolved" ? "report_resolved" : "conflict");
    if (!response.ok) throw new Error(json.error?.message ?? `The server answered ${response.status}.`);
    return json;
  }

  async rooms(options: { sort?: RoomSort; type?: "direct" | "group"; name?: string; limit?: number } = {}): Promise<RoomReport[]> {
    const query = new URLSearchParams(Object.entries(options).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]])));
    return (await this.call<{ items: RoomReport[] }>("GET", `/rooms?${query}`)).items;
  }
  room(roomId: string) {
    return this.call<Awaited<ReturnType<AdminOperations["room"]>>>("GET", `/rooms/${roomId}`);
  }
  dump(roomId: string, at?: Date) {
    return this.call<Awaited<ReturnType<AdminOperations["dump"]>>>("GET", `/rooms/${roomId}/dump${at ? `?at=${at.toISOString()}` : ""}`);
  }
  async history(roomId: string, limit = 100): Promise<HistoryEntry[]> {
    return (await this.call<{ items: HistoryEntry[] }>("GET", `/rooms/${roomId}/history?limit=${limit}`)).items;
  }
  verify(roomId?: string, repair = false) {
    return this.call<Awaited<ReturnType<AdminOperations["verify"]>>>("POST", "/verify", { ...(roomId ? { room_id: roomId } : {}), repair });
  }
  async compact(roomId?: string) {
    return (
      await this.call<{ items: Awaited<ReturnType<AdminOperations["compact"]>> }>("POST", "/compact", roomId ? { room_id: roomId } : {})
    ).items;
  }
  erase(roomId: string, messageId: string) {
    return this.call<Awaited<ReturnType<AdminOperations["erase"]>>>("POST", `/rooms/${roomId}/messages/${messageId}/erase`, {});
  }
  retention(days: number) {
    return this.call<Awaited<ReturnType<AdminOperations["retention"]>>>("POST", "/retention", { days });
  }
  async setAdmin(username: string, admin: boolean): Promise<void> {
    await this.call("PUT", `/users/${encodeURIComponent(username)}/server-admin`, { is_server_admin: admin });
  }
  async audit(limit = 100): Promise<AuditEntry[]> {
    return (await this.call<{ items: AuditEntry[] }>("GET", `/audit?limit=${limit}`)).items;
  }
  async reports(status: "open" | "resolved" | "all" = "open", limit = 100): Promise<AdminReport[]> {
    return (await this.call<{ items: AdminReport[] }>("GET", `/reports?status=${status}&limit=${limit}`)).items;
  }
  resolveReport(reportId: string, resolve: ReportResolve) {
    return this.call<AdminReport>("POST", `/reports/${reportId}/resolve`, resolve);
  }
  suspend(username: string, hours: number, reason?: string) {
    return this.call<{ username: string; suspended_until: string }>("PUT", `/users/${encodeURIComponent(username)}/suspension`, {
      hours,
      ...(reason ? { reason } : {}),
    });
  }
  unsuspend(username: string) {
    return this.call<{ username: string; suspended_until: null }>("DELETE", `/users/${encodeURIComponent(username)}/suspension`);
  }
  async note(): Promise<void> {
    throw new Error("Backups and restores of the embedded database need the server stopped.");
  }
}
