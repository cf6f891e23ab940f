import { useEffect, useMemo, useSyncExternalStore } from "react";
import { formatBytes } from "../../shared/media/limits.ts";
import { StateTicks } from "../rooms/StateTicks.tsx";
import { useChat } from "../session/chat-context.tsx";
import type { OutboxEntry, PendingFile } from "./outbox.ts";

/**
 * My messages in this room that wait for their uploads (offline, or uploading now): shown after
 * the rest like any message of mine not yet saved, with the pictures from this device and a
 * progress bar per file. One the server refused for good says why and can be removed.
 */
export function OutboxItems({ roomId }: { roomId: string }) {
  const { sync } = useChat();
  const outbox = sync.outbox;
  useSyncExternalStore(outbox.subscribe, outbox.snapshot);
  const waiting = outbox.unwritten(roomId);
  return (
    <>
      {waiting.map((entry) => (
        <article
          key={entry.messageId}
          id={`m-${entry.messageId}`}
          className="message mine"
          aria-label={`You: ${entry.content ?? entry.files.map((f) => f.name).join(", ")}`}
        >
          <header>
            <strong>You</strong>
          </header>
          {entry.content && <p className="content">{entry.content}</p>}
          <ul className="attachments" aria-label="Attachments">
            {entry.files.map((file) => (
              <li key={file.uploadId}>
                <PendingFileView file={file} progress={outbox.progressOf(file.uploadId)} />
              </li>
            ))}
          </ul>
          {entry.failure ? (
            <Refused entry={entry} onRetry={() => outbox.retry(entry.messageId)} onRemove={() => void outbox.remove(entry.messageId)} />
          ) : (
            <StateTicks state="waiting" />
          )}
        </article>
      ))}
    </>
  );
}

function Refused({ entry, onRetry, onRemove }: { entry: OutboxEntry; onRetry(): void; onRemove(): void }) {
  return (
    <p role="alert" className="refusal">
      Not sent: {entry.failure}{" "}
      <button type="button" onClick={onRetry}>
        Send again
      </button>{" "}
      <button type="button" onClick={onRemove}>
        Remove
      </button>
    </p>
  );
}

/** A picked file: its picture from this device (images), name and size, and how far its upload is. */
function PendingFileView({ file, progress }: { file: PendingFile; progress: number }) {
  const isImage = file.blob.type.startsWith("image/");
  const preview = useMemo(() => (isImage ? URL.createObjectURL(file.blob) : null), [file.blob, isImage]);
  useEffect(() => () => (preview ? URL.revokeObjectURL(preview) : undefined), [preview]);
  return (
    <div className="pending-file">
      {preview ? <img className="pending-preview" src={preview} alt={file.name} /> : <span className="file-name">{file.name}</span>}
      <span className="file-meta">{formatBytes(file.blob.size)}</span>
      <progress aria-label={`Uploading ${file.name}`} max={1} value={file.uploaded ? 1 : progress} />
    </div>
  );
}
