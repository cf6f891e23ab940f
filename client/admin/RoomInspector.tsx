import { useCallback, useEffect, useState } from "react";
import type { ListEnvelope } from "../../shared/api/common.ts";
import type { RoomDocJSON } from "../../shared/room-doc/index.ts";
import { useChat } from "../session/chat-context.tsx";
import { ErrorAlert } from "../ui/ErrorAlert.tsx";
import { timeOf } from "../ui/names.ts";
import { useAction } from "../ui/use-action.ts";
import type { AdminRoom } from "./AdminPanel.tsx";

interface RoomDetail extends AdminRoom {
  members_list: Array<{ username: string; role: string }>;
  connected: string[];
}
interface HistoryEntry {
  id: number;
  at: string;
  user: string | null;
  bytes: number;
  changes: string[];
}

/**
 * One room for an operator: its messages as the app shows them beside the raw JSON, a slider
 * through its stored history that shows the room as it was at each change, who has it open now,
 * and the erase action.
 */
export function RoomInspector({ roomId, onBack }: { roomId: string; onBack: () => void }) {
  const { api } = useChat();
  const [room, setRoom] = useState<RoomDetail | null>(null);
  const [history, setHistory] = useState<HistoryEntry[]>([]);
  const [position, setPosition] = useState<number | null>(null);
  const [dump, setDump] = useState<RoomDocJSON | null>(null);
  // Bumped by every reload (after an erase), so the shown state is fetched again too.
  const [version, setVersion] = useState(0);
  const [run, error] = useAction();
  const base = `/api/v1/admin/rooms/${roomId}`;

  const load = useCallback(
    () =>
      run(async () => {
        const [detail, entries] = await Promise.all([
          api.get<RoomDetail>(base),
          api.get<ListEnvelope<HistoryEntry>>(`${base}/history?limit=1000`),
        ]);
        setRoom(detail);
        setHistory(entries.items);
        setPosition(null);
        setVersion((v) => v + 1);
      }),
    [api, base, run],
  );
  useEffect(() => {
    void load();
  }, [load]);

  const at = position === null ? null : (history[position]?.at ?? null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` asks again after a reload
  useEffect(() => {
    void run(async () => setDump(await api.get<RoomDocJSON>(`${base}/dump${at ? `?at=${encodeURIComponent(at)}` : ""}`)));
  }, [api, base, run, at, version]);

  const erase = (messageId: string) => {
    if (!window.confirm("Erase this message for good? Its text will exist nowhere, and this room's earlier history is folded away."))
      return;
    void run(async () => {
      await api.post(`${base}/messages/${messageId}/erase`);
      await load();
    });
  };
  const entry = position === null ? null : history[position];

  return (
    <section className="panel admin" aria-labelledby="inspector-title">
      <button type="button" onClick={onBack}>
        Back to rooms
      </button>
      <h2 id="inspector-title">{room?.name ?? "Direct room"}</h2>
      <ErrorAlert error={error} />
      {room && (
        <p>
          {room.members} members ({room.members_list.map((m) => `${m.username}${m.role === "admin" ? " (admin)" : ""}`).join(", ")}) ·{" "}
          {room.messages} messages · {room.document_bytes} bytes · {room.log_entries} log entries · connected now:{" "}
          {room.connected.length > 0 ? room.connected.join(", ") : "nobody"}
        </p>
      )}
      {history.length > 0 && (
        <label>
          {entry
            ? `As it was at ${new Date(entry.at).toLocaleString()} (${entry.user ?? "?"}: ${entry.changes.join(", ")})`
            : "As it is now"}
          <input
            type="range"
            min={0}
            max={history.length}
            value={position ?? history.length}
            onChange={(e) => setPosition(Number(e.target.value) >= history.length ? null : Number(e.target.value))}
            aria-label="Time"
          />
        </label>
      )}
      <div className="inspector">
        <ul aria-label="Messages as shown">
          {dump?.messages.map((m) => (
            <li key={m.id} className={m.type === "system" ? "system" : ""}>
              <small>
                #{m.seq ?? "–"} {timeOf(m.created_at)}
              </small>{" "}
              {m.deleted ? <em>deleted</em> : m.content}
              {m.edited_at && !m.deleted && <small> (edited)</small>}
              {position === null && !m.deleted && m.type !== "system" && (
                <button type="button" onClick={() => erase(m.id)}>
                  Erase
                </button>
              )}
            </li>
          ))}
        </ul>
        <figure>
          <figcaption>Raw JSON</figcaption>
          <pre>{dump ? JSON.stringify(dump, null, 2) : ""}</pre>
        </figure>
      </div>
    </section>
  );
}
