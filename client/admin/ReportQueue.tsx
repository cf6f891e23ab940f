import { useCallback, useEffect, useState } from "react";
import type { ListEnvelope } from "../../shared/api/common.ts";
import type { AdminReport, ReportResolve } from "../../shared/api/reports.ts";
import { useChat } from "../session/chat-context.tsx";
import { ErrorAlert } from "../ui/ErrorAlert.tsx";
import { ago, nameOf } from "../ui/names.ts";
import { useAction } from "../ui/use-action.ts";

/** The open reports, oldest first, each with what an admin may do about it. */
export function ReportQueue() {
  const { api } = useChat();
  const [reports, setReports] = useState<AdminReport[]>([]);
  const [hours, setHours] = useState(24);
  const [run, error, busy] = useAction();
  const load = useCallback(
    () => run(async () => setReports((await api.get<ListEnvelope<AdminReport>>("/api/v1/admin/reports?status=open")).items)),
    [api, run],
  );
  useEffect(() => {
    void load();
  }, [load]);
  const resolve = (report: AdminReport, action: ReportResolve) =>
    void run(async () => {
      await api.post(`/api/v1/admin/reports/${report.id}/resolve`, action);
      await load();
    });

  return (
    <section aria-labelledby="reports-title">
      <h2 id="reports-title">Reports</h2>
      <label>
        Suspend for (hours)
        <input type="number" min={1} max={8784} value={hours} onChange={(e) => setHours(Number(e.target.value) || 24)} />
      </label>
      <ErrorAlert error={error} />
      <ul aria-label="Open reports" className="reports">
        {reports.map((r) => (
          <li key={r.id} aria-label={`Report by ${nameOf(r.reporter)}`}>
            <p>
              <strong>{r.reason.replace("_", " ")}</strong> · {nameOf(r.reporter)} reported{" "}
              {r.target_type === "message"
                ? `a message by ${nameOf(r.target_user)} in ${r.room_name ?? "a direct chat"}`
                : nameOf(r.target_user)}{" "}
              {ago(r.created_at)}
            </p>
            {r.message_excerpt !== null && <blockquote>{r.message_excerpt}</blockquote>}
            {r.details && <p className="details">“{r.details}”</p>}
            <div className="row">
              <button type="button" disabled={busy} onClick={() => resolve(r, { action: "dismiss" })}>
                Dismiss
              </button>
              {r.target_type === "message" && (
                <button type="button" disabled={busy} onClick={() => resolve(r, { action: "delete_message" })}>
                  Delete message
                </button>
              )}
              <button type="button" disabled={busy} onClick={() => resolve(r, { action: "suspend_user", hours })}>
                Suspend {nameOf(r.target_user)}
              </button>
            </div>
          </li>
        ))}
        {reports.length === 0 && <li className="empty">No open reports.</li>}
      </ul>
    </section>
  );
}
