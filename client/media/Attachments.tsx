import { useEffect, useState } from "react";
import { mediaPath, thumbnailPath } from "../../shared/api/media.ts";
import { formatBytes, thumbnailSize } from "../../shared/media/limits.ts";
import type { Attachment } from "../../shared/room-doc/index.ts";
import { useChat } from "../session/chat-context.tsx";
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
  // The tab opens now, inside the click (popup blockers allow only that), and gets the picture once fetched.
  const openOriginal = () => {
    const tab = window.open("", "_blank");
    originalObjectUrl(api, mediaPath(attachment.id)).then(
      (url) => {
        if (tab) tab.location.href = url;
        setTimeout(() => URL.revokeObjectURL(url), ORIGINAL_URL_MS);
      },
      () => {
        tab?.close();
        setFailed(true);
      },
    );
  };
  return (
    <button type="button" className="inline-image" style={{ width: size.width, height: size.height }} onClick={openOriginal}>
      {src ? (
        <img src={src} alt={attachment.name} width={size.width} height={size.height} />
      ) : (
        <span className="image-placeholder">{failed ? `${attachment.name} (offline)` : "Loading…"}</span>
      )}
    </button>
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
