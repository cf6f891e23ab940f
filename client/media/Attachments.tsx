import { useEffect, useState } from "react";
import { mediaPath, thumbnailPath } from "../../shared/api/media.ts";
import { formatBytes, thumbnailSize } from "../../shared/media/limits.ts";
import type { Attachment } from "../../shared/room-doc/index.ts";
import { useChat } from "../session/chat-context.tsx";
import { Dialog } from "../ui/Dialog.tsx";
import { originalObjectUrl, thumbnailObjectUrl } from "./media-cache.ts";

// How long an original's object URL lives after it was handed to a new tab or a download.
const ORIGINAL_URL_MS = 60_000;

/** The images and files a message carries: images inline at their known size, files as cards. */
export function Attachments({ attachments }: { attachments: Attachment[] }) {
  if (attachments.length === 0) return null;
  return (
    <ul className="attachments" aria-label="Attachments">
      {attachments.map((a) => (
        <li key={a.id}>{a.kind === "image" && a.width && a.height ? <InlineImage attachment={a} /> : <FileCard attachment={a} />}</li>
      ))}
    </ul>
  );
}

/** A thumbnail with room kept for it before it loads (its size is in the message); click for the original. */
function InlineImage({ attachment }: { attachment: Attachment }) {
  const { api, session } = useChat();
  const [src, setSrc] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  const size = thumbnailSize(attachment.width ?? 1, attachment.height ?? 1);
  useEffect(() => {
    let live = true;
    thumbnailObjectUrl(api, session.user.id, thumbnailPath(attachment.id)).then(
      (url) => live && setSrc(url),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [api, session.user.id, attachment.id]);
  const [viewing, setViewing] = useState(false);
  return (
    <>
      <button
        type="button"
        className="inline-image"
        style={{ width: size.width, height: size.height }}
        onClick={() => setViewing(true)}
        aria-haspopup="dialog"
      >
        {src ? (
          <img src={src} alt={attachment.name} width={size.width} height={size.height} />
        ) : (
          <span className="image-placeholder">{failed ? `${attachment.name} (offline)` : "Loading…"}</span>
        )}
      </button>
      {viewing && <ImageViewer attachment={attachment} onClose={() => setViewing(false)} />}
    </>
  );
}

/** The original picture in the app, titled with its file name, with Download and Close. */
function ImageViewer({ attachment, onClose }: { attachment: Attachment; onClose: () => void }) {
  const { api } = useChat();
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    let made: string | null = null;
    originalObjectUrl(api, mediaPath(attachment.id)).then(
      (u) => {
        made = u;
        if (live) setUrl(u);
        else URL.revokeObjectURL(u);
      },
      (caught: unknown) => live && setError(caught instanceof Error ? caught.message : String(caught)),
    );
    return () => {
      live = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [api, attachment.id]);
  return (
    <Dialog title={attachment.name} onClose={onClose} className="viewer">
      <div className="viewer-picture">
        {url ? <img src={url} alt={attachment.name} /> : error ? <p role="alert">{error}</p> : <p>Loading…</p>}
      </div>
      <p className="file-meta">
        {attachment.width && attachment.height ? `${attachment.width} × ${attachment.height} · ` : ""}
        {formatBytes(attachment.size)}
      </p>
      <div className="row dialog-buttons">
        {url && (
          <a className="button" href={url} download={attachment.name}>
            Download
          </a>
        )}
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}

/** A file: its name, size and type, and a button that downloads it. */
function FileCard({ attachment }: { attachment: Attachment }) {
  const { api } = useChat();
  const [error, setError] = useState<string | null>(null);
  const download = async () => {
    setError(null);
    try {
      const url = await originalObjectUrl(api, mediaPath(attachment.id));
      const link = document.createElement("a");
      link.href = url;
      link.download = attachment.name;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), ORIGINAL_URL_MS);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };
  return (
    <figure className="file-card">
      <figcaption className="file-name">{attachment.name}</figcaption>
      <span className="file-meta">
        {formatBytes(attachment.size)} · {attachment.mime}
      </span>
      <button type="button" onClick={() => void download()}>
        Download
      </button>
      {error && <span role="alert">{error}</span>}
    </figure>
  );
}
