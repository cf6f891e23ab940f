import { type FormEvent, useState } from "react";
import type { ReportReason } from "../../shared/api/reports.ts";
import { useChat } from "../session/chat-context.tsx";
import { Dialog } from "../ui/Dialog.tsx";
import { ErrorAlert } from "../ui/ErrorAlert.tsx";
import { useAction } from "../ui/use-action.ts";

const REASONS: Record<ReportReason, string> = {
  spam: "Spam or scams",
  harassment: "Harassment or bullying",
  hate: "Hate speech",
  sexual: "Sexual content",
  violence: "Violence or threats",
  self_harm: "Self-harm",
  other: "Something else",
};

/** What is reported: a message (quoted) or a person. */
export type ReportSubject = { kind: "message"; id: string; quote: string; author: string } | { kind: "user"; id: string; name: string };

/** Report a message or a person to the server admins, with a reason. */
export function ReportDialog({ subject, onClose }: { subject: ReportSubject; onClose: () => void }) {
  const { api } = useChat();
  const [reason, setReason] = useState<ReportReason>("spam");
  const [details, setDetails] = useState("");
  const [sent, setSent] = useState(false);
  const [run, error, busy] = useAction();
  const send = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const target = subject.kind === "message" ? { message_id: subject.id } : { user_id: subject.id };
      await api.post("/api/v1/reports", { ...target, reason, ...(details.trim() ? { details: details.trim() } : {}) });
      setSent(true);
    });
  };
  const title = subject.kind === "message" ? "Report message" : "Report person";
  if (sent) {
    return (
      <Dialog title={title} onClose={onClose}>
        <p role="status">Thank you. A server admin will look at it.</p>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </Dialog>
    );
  }
  return (
    <Dialog title={title} onClose={onClose}>
      <form onSubmit={send} className="stack">
        {subject.kind === "message" ? (
          <p>
            {subject.author} wrote: <q>{subject.quote}</q>
          </p>
        ) : (
          <p>Report {subject.name} to the server admins.</p>
        )}
        <label>
          Reason
          <select value={reason} onChange={(e) => setReason(e.target.value as ReportReason)}>
            {Object.entries(REASONS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          What happened (optional)
          <textarea value={details} onChange={(e) => setDetails(e.target.value)} maxLength={1000} />
        </label>
        <ErrorAlert error={error} />
        <div className="row">
          <button type="submit" disabled={busy}>
            Send report
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
