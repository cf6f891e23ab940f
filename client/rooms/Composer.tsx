import { type ClipboardEvent, type KeyboardEvent, useEffect, useMemo, useRef, useState } from "react";
import { formatBytes } from "../../shared/media/limits.ts";
import type { MessageView } from "../../shared/room-doc/index.ts";

// How long after the last keystroke "… is typing" goes away.
const TYPING_IDLE_MS = 3_000;

/**
 * The message box: Enter sends, Shift+Enter breaks the line. While editing it holds the message's
 * text and saves instead; while replying it shows what is quoted. Images and files are attached
 * by picking them ("Attach") or pasting an image; they go with the next send.
 */
export function Composer(props: {
  replyTo: MessageView | null;
  editing: MessageView | null;
  senderName: (userId: string) => string;
  initialText?: string;
  /** Why the user cannot write here (a block), or null. */
  readOnly: string | null;
  /** Returns false when the text was not sent (it and the files stay in the box). */
  onSend(text: string, files: File[]): boolean;
  onSaveEdit(text: string): boolean;
  onCancel(): void;
  onTyping(typing: boolean): void;
}) {
  const [text, setText] = useState(props.initialText ?? "");
  const [files, setFiles] = useState<File[]>([]);
  const picker = useRef<HTMLInputElement>(null);
  const idle = useRef<ReturnType<typeof setTimeout> | null>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  const { editing, onTyping } = props;

  useEffect(() => {
    if (editing) setText(editing.content ?? "");
    box.current?.focus();
  }, [editing]);
  useEffect(() => {
    if (props.initialText) setText(props.initialText);
  }, [props.initialText]);
  useEffect(() => () => onTyping(false), [onTyping]);

  const submit = () => {
    const trimmed = text.trim();
    if (props.editing) {
      if (!trimmed || !props.onSaveEdit(trimmed)) return;
    } else {
      if (!trimmed && files.length === 0) return;
      if (!props.onSend(trimmed, files)) return;
      setFiles([]);
    }
    setText("");
    props.onTyping(false);
  };
  const addFiles = (picked: FileList | File[] | null) => {
    if (picked && picked.length > 0) setFiles((current) => [...current, ...Array.from(picked)]);
  };
  // A pasted screenshot or photo becomes an attachment; pasted text stays text.
  const paste = (event: ClipboardEvent<HTMLTextAreaElement>) => {
    const images = Array.from(event.clipboardData.files).filter((f) => f.type.startsWith("image/"));
    if (images.length === 0) return;
    event.preventDefault();
    addFiles(images);
  };
  const keyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      submit();
    } else if (event.key === "Escape" && (props.editing || props.replyTo)) {
      props.onCancel();
      setText("");
    }
  };
  const change = (value: string) => {
    setText(value);
    props.onTyping(value.length > 0);
    if (idle.current) clearTimeout(idle.current);
    idle.current = setTimeout(() => props.onTyping(false), TYPING_IDLE_MS);
  };

  if (props.readOnly) return <p className="read-only">{props.readOnly}</p>;
  return (
    <div className="composer">
      {(props.replyTo || props.editing) && (
        <div className="composer-context">
          {props.editing ? "Editing your message" : `Replying to ${props.senderName(props.replyTo?.sender_id ?? "")}: `}
          {props.replyTo && <q>{props.replyTo.content ?? "deleted message"}</q>}
          <button
            type="button"
            onClick={() => {
              props.onCancel();
              setText("");
            }}
          >
            Cancel
          </button>
        </div>
      )}
      {files.length > 0 && (
        <ul className="picked-files" aria-label="Files to send">
          {files.map((file, index) => (
            <li key={`${file.name}-${file.size}-${file.lastModified}`}>
              <PickedPreview file={file} />
              {file.name} ({formatBytes(file.size)}){" "}
              <button type="button" aria-label={`Remove ${file.name}`} onClick={() => setFiles(files.filter((_, i) => i !== index))}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <textarea
        ref={box}
        aria-label="Message"
        value={text}
        rows={2}
        onChange={(e) => change(e.target.value)}
        onKeyDown={keyDown}
        onPaste={paste}
      />
      {!props.editing && (
        <>
          <input
            ref={picker}
            className="visually-hidden"
            type="file"
            multiple
            aria-label="Attach files"
            onChange={(e) => {
              addFiles(e.target.files);
              e.target.value = "";
            }}
          />
          <button type="button" onClick={() => picker.current?.click()}>
            Attach
          </button>
        </>
      )}
      <button type="button" onClick={submit}>
        {props.editing ? "Save" : "Send"}
      </button>
    </div>
  );
}

/** A picked picture, small, so the sender sees what goes before sending it. */
function PickedPreview({ file }: { file: File }) {
  const isImage = file.type.startsWith("image/");
  const url = useMemo(() => (isImage ? URL.createObjectURL(file) : null), [file, isImage]);
  useEffect(() => () => (url ? URL.revokeObjectURL(url) : undefined), [url]);
  return url ? <img className="picked-preview" src={url} alt={`Preview of ${file.name}`} /> : null;
}
