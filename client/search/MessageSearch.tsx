import { type ReactNode, useEffect, useState } from "react";
import type { ListEnvelope } from "../../shared/api/common.ts";
import { type MessageSearchResult, searchWords } from "../../shared/api/search.ts";
import type { MessageView } from "../../shared/room-doc/index.ts";
import { dayLabel } from "../room/days.ts";
import { useChat, useSyncStatus } from "../session/chat-context.tsx";
import { ErrorAlert } from "../ui/ErrorAlert.tsx";
import { timeOf } from "../ui/names.ts";
import { useAction } from "../ui/use-action.ts";

/** `text` with the words of a search that start a word of it marked, as React text (never HTML). */
export function highlighted(text: string, words: readonly string[]): ReactNode {
  if (words.length === 0) return text;
  const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(${escaped.join("|")})`, "giu");
  const parts = text.split(pattern);
  // split() with one capture group puts the matches at the odd indexes.
  // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one text, in order
  return parts.map((part, i) => (i % 2 === 1 ? <mark key={i}>{part}</mark> : part));
}

/** The messages of one room's copy that match, newest first: the search a room can do offline. */
function searchLocally(messages: readonly MessageView[], words: readonly string[], roomId: string): MessageSearchResult[] {
  const starts = (text: string) => {
    const own = searchWords(text);
    return words.every((w) => own.some((o) => o.startsWith(w)));
  };
  return messages
    .filter((m) => m.seq !== null && !m.deleted && m.type !== "system" && m.content && starts(m.content))
    .reverse()
    .slice(0, 50)
    .map((m) => ({
      message_id: m.id,
      room_id: roomId,
      room_type: "group",
      room_name: null,
      seq: m.seq ?? 0,
      sender_id: m.sender_id,
      sender_name: null,
      content: m.content ?? "",
      created_at: m.created_at,
    }));
}

/**
 * Search messages: in one room (`roomId`, falling back to this device's copy while offline) or
 * across all my rooms (GET /api/v1/chat/messages/search). Each result is a button that opens
 * the message in its context.
 */
export function MessageSearch(props: {
  roomId?: string;
  label: string;
  /** This room's messages, for searching offline. */
  localMessages?: readonly MessageView[];
  nameFor(userId: string, result: MessageSearchResult): string;
  roomName?(result: MessageSearchResult): string;
  onOpen(result: MessageSearchResult): void;
  autoFocus?: boolean;
}) {
  const { api } = useChat();
  const { connection } = useSyncStatus();
  const [q, setQ] = useState("");
  const [results, setResults] = useState<MessageSearchResult[] | null>(null);
  const [run, error] = useAction();
  const words = searchWords(q);
  const { roomId, localMessages } = props;
  const offline = connection === "offline";

  // biome-ignore lint/correctness/useExhaustiveDependencies: the words (as a string) are the trigger, not the array
  useEffect(() => {
    if (words.length === 0) {
      setResults(null);
      return;
    }
    if (offline) {
      setResults(roomId && localMessages ? searchLocally(localMessages, words, roomId) : null);
      return;
    }
    // Wait for a pause in typing rather than asking on every keystroke.
    const timer = setTimeout(() => {
      void run(async () => {
        const query = `q=${encodeURIComponent(q)}${roomId ? `&room_id=${roomId}` : ""}&limit=30`;
        const page = await api.get<ListEnvelope<MessageSearchResult>>(`/api/v1/chat/messages/search?${query}`);
        setResults(page.items);
      });
    }, 250);
    return () => clearTimeout(timer);
  }, [words.join(" "), offline, roomId, api, run]);

  return (
    <div className="message-search">
      <input
        type="search"
        aria-label={props.label}
        placeholder={props.label}
        value={q}
        // biome-ignore lint/a11y/noAutofocus: opened by the user's own click on "Search in this chat"
        autoFocus={props.autoFocus}
        onChange={(e) => setQ(e.target.value)}
      />
      <ErrorAlert error={error} />
      {offline && !roomId && words.length > 0 && <p className="hint">Searching all chats needs a connection.</p>}
      {results && (
        <ul aria-label="Message results" className="search-results">
          {results.length === 0 && <li className="empty">No messages found.</li>}
          {results.map((r) => (
            <li key={r.message_id}>
              <button type="button" onClick={() => props.onOpen(r)}>
                <span className="result-meta">
                  {props.roomName && <strong>{props.roomName(r)} · </strong>}
                  {props.nameFor(r.sender_id, r)} · {dayLabel(r.created_at)} {timeOf(r.created_at)}
                </span>
                <span className="result-text">{highlighted(r.content, words)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
