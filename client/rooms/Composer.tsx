import { type KeyboardEvent, useEffect, useRef, useState } from "react";
import type { MessageView } from "../../shared/room-doc/index.ts";

// How long after the last keystroke "… is typing" goes away.
const TYPING_IDLE_MS = 3_000;

/**
 * The message box: Enter sends, Shift+Enter breaks the line. While editing it holds the message's
 * text and saves instead; while replying it shows what is quoted.
 */
export function Composer(props: {
  replyTo: MessageView | null;
  editing: MessageView | null;
  senderName: (userId: string) => string;
  initialText?: string;
  readOnly: boolean;
  /** Returns false when the text was not sent (it stays in the box to be reworded). */
  onSend(text: string): boolean;
  onSaveEdit(text: string): boolean;
  onCancel(): void;
  onTyping(typing: boolean): void;
}) {
  const [text, setText] = useState(props.initialText ?? "");
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
    if (!trimmed) return;
    const sent = props.editing ? props.onSaveEdit(trimmed) : props.onSend(trimmed);
    if (!sent) return;
    setText("");
    props.onTyping(false);
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

  if (props.readOnly) return <p className="read-only">You can no longer write in this conversation.</p>;
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
      <textarea ref={box} aria-label="Message" value={text} rows={2} onChange={(e) => change(e.target.value)} onKeyDown={keyDown} />
      <button type="button" onClick={submit}>
        {props.editing ? "Save" : "Send"}
      </button>
    </div>
  );
}
