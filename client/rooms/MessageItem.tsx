import { useState } from "react";
import type { MessageView } from "../../shared/room-doc/index.ts";
import { Attachments } from "../media/Attachments.tsx";
import type { MessageState } from "../room/timeline.ts";
import { LinkedText } from "../ui/LinkedText.tsx";
import { timeOf } from "../ui/names.ts";
import { StateTicks } from "./StateTicks.tsx";

/** The reactions one tap away. */
export const QUICK_REACTIONS = ["👍", "❤️", "😂", "🔥", "💪", "👏"];

/** One message: who, what, when, its state if it is mine, its reactions and what I may do with it. */
export function MessageItem(props: {
  message: MessageView;
  me: string;
  state: MessageState | null;
  senderName: string;
  quoted: { name: string; text: string } | null;
  seenBy: string[];
  mayDelete: boolean;
  onJumpTo(id: string): void;
  onReply(): void;
  onEdit(): void;
  onDelete(): void;
  /** Report someone else's message to the server admins. */
  onReport(): void;
  onToggleReaction(emoji: string): void;
  /**
   * The message the log's one tab stop is on (arrow keys move it): its actions show while it
   * has focus or the pointer, so the keyboard reaches them without a tab stop per button.
   */
  active?: boolean;
  onActivate?(): void;
  /** A room I can no longer write in: the message shows, nothing can be done to it. */
  readOnly?: boolean;
}) {
  const { message, me } = props;
  const [picking, setPicking] = useState(false);
  const mine = message.sender_id === me;
  if (message.type === "system") {
    return (
      <p id={`m-${message.id}`} className="system">
        {message.content}
      </p>
    );
  }
  return (
    <article
      id={`m-${message.id}`}
      className={`message ${mine ? "mine" : ""}`}
      tabIndex={props.active ? 0 : -1}
      onFocus={props.onActivate}
      aria-label={`${props.senderName}: ${message.deleted ? "deleted" : (message.content ?? message.attachments.map((a) => a.name).join(", "))}`}
    >
      <header>
        <strong>{props.senderName}</strong> <time dateTime={message.created_at}>{timeOf(message.created_at)}</time>
        {message.edited_at && !message.deleted && <span className="edited"> · edited</span>}
      </header>
      {props.quoted && message.reply_to_id && (
        <button type="button" className="quote" onClick={() => props.onJumpTo(message.reply_to_id as string)}>
          ↪ {props.quoted.name}: {props.quoted.text}
        </button>
      )}
      {(message.deleted || message.content) && (
        <p className="content">{message.deleted ? <em>This message was deleted</em> : <LinkedText text={message.content ?? ""} />}</p>
      )}
      {!message.deleted && <Attachments attachments={message.attachments} />}
      {Object.keys(message.reactions).length > 0 && (
        <ul className="reactions" aria-label="Reactions">
          {Object.entries(message.reactions).map(([emoji, users]) => (
            <li key={emoji}>
              <button
                type="button"
                aria-pressed={users.includes(me)}
                disabled={props.readOnly}
                onClick={() => props.onToggleReaction(emoji)}
              >
                {emoji} {users.length}
              </button>
            </li>
          ))}
        </ul>
      )}
      {props.state && <StateTicks state={props.state} />}
      {props.seenBy.length > 0 && <p className="seen-by">Seen by {props.seenBy.join(", ")}</p>}
      {!message.deleted && !props.readOnly && (
        <div className="message-actions">
          <button type="button" onClick={props.onReply}>
            Reply
          </button>
          <button type="button" onClick={() => setPicking(!picking)} aria-expanded={picking} disabled={message.seq === null}>
            React
          </button>
          {mine && (
            <button type="button" onClick={props.onEdit}>
              Edit
            </button>
          )}
          {props.mayDelete && (
            <button type="button" onClick={props.onDelete}>
              Delete
            </button>
          )}
          {!mine && message.seq !== null && (
            <button type="button" onClick={props.onReport}>
              Report
            </button>
          )}
          {picking && (
            <span className="picker">
              {QUICK_REACTIONS.map((emoji) => (
                <button
                  key={emoji}
                  type="button"
                  aria-label={`React ${emoji}`}
                  onClick={() => {
                    props.onToggleReaction(emoji);
                    setPicking(false);
                  }}
                >
                  {emoji}
                </button>
              ))}
            </span>
          )}
        </div>
      )}
    </article>
  );
}
