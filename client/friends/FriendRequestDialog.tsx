import { type FormEvent, useState } from "react";
import { useChat } from "../session/chat-context.tsx";
import { Dialog } from "../ui/Dialog.tsx";
import { ErrorAlert } from "../ui/ErrorAlert.tsx";
import { useAction } from "../ui/use-action.ts";

/** Ask someone to be friends, with an optional message. */
export function FriendRequestDialog({
  to,
  onClose,
  onSent,
}: {
  to: { id: string; name: string };
  onClose: () => void;
  onSent: () => void;
}) {
  const { api } = useChat();
  const [message, setMessage] = useState("");
  const [run, error, busy] = useAction();
  const send = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await api.post("/api/v1/chat/friends/requests", { requestee_id: to.id, ...(message.trim() ? { message: message.trim() } : {}) });
      onSent();
    });
  };
  return (
    <Dialog title="Friend request" onClose={onClose}>
      <form onSubmit={send} className="stack">
        <p>Ask {to.name} to be friends.</p>
        <label>
          Message (optional)
          <textarea value={message} onChange={(e) => setMessage(e.target.value)} maxLength={500} />
        </label>
        <ErrorAlert error={error} />
        <div className="row">
          <button type="submit" disabled={busy}>
            Send request
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
