import type { Refusal } from "../sync/room-session.ts";

/**
 * What a refused change left: the server's reason and my unsent messages, each with "Send again";
 * in a chat a block made read-only, why it is read-only and no retry that could never succeed.
 */
export function RefusalNotice(props: { refusal: Refusal | null; readOnly: string | null; onRetry(text: string): void; onDismiss(): void }) {
  const { refusal, readOnly } = props;
  if (!refusal) return null;
  // An operator's rewrite (an erase) with nothing of mine unsent needs no words: the room just resynced.
  if (refusal.code === "document_rewritten" && refusal.unsent.length === 0) return null;
  const blocked = refusal.code === "blocked";
  if (blocked && !readOnly) return null;
  return (
    <div role="alert" className="refusal">
      <p>{blocked ? readOnly : `The server refused a change in this room: ${refusal.message}`}</p>
      {refusal.unsent.map((m) => (
        <p key={m.id}>
          Not sent: <q>{m.content}</q>
          {!blocked && (
            <>
              {" "}
              <button type="button" onClick={() => props.onRetry(m.content ?? "")}>
                Send again
              </button>
            </>
          )}
        </p>
      ))}
      <button type="button" onClick={props.onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
