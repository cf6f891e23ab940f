import { useEffect, useState } from "react";
import type { ListEnvelope } from "../../shared/api/common.ts";
import { useChat } from "../session/chat-context.tsx";
import { ErrorAlert } from "../ui/ErrorAlert.tsx";
import { ago } from "../ui/names.ts";
import { useAction } from "../ui/use-action.ts";
import { ReportQueue } from "./ReportQueue.tsx";
import { RoomInspector } from "./RoomInspector.tsx";

/** A room as the admin API lists it. */
export interface AdminRoom {
  id: string;
  type: "direct" | "group";
  name: string | null;
  members: number;
  messages: number;
  document_bytes: number;
  log_entries: number;
  last_activity: string | null;
}

const SORTS = { activity: "Last activity", messages: "Messages", bytes: "Bytes", log: "Log entries", members: "Members" } as const;

/** The server admins' page: every room and its stored size; pick one to inspect it. */
export function AdminPanel() {
  const { api } = useChat();
  const [sort, setSort] = useState<keyof typeof SORTS>("activity");
  const [rooms, setRooms] = useState<AdminRoom[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [run, error] = useAction();
  useEffect(() => {
    void run(async () => setRooms((await api.get<ListEnvelope<AdminRoom>>(`/api/v1/admin/rooms?sort=${sort}&limit=200`)).items));
  }, [api, run, sort]);

  if (selected) return <RoomInspector roomId={selected} onBack={() => setSelected(null)} />;
  return (
    <section className="panel admin" aria-labelledby="admin-title">
      <ReportQueue />
      <h2 id="admin-title">Rooms (server admin)</h2>
      <label>
        Sort by
        <select value={sort} onChange={(e) => setSort(e.target.value as keyof typeof SORTS)}>
          {Object.entries(SORTS).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <ErrorAlert error={error} />
      <table aria-label="Rooms table">
        <thead>
          <tr>
            <th scope="col">Room</th>
            <th scope="col">Type</th>
            <th scope="col">Members</th>
            <th scope="col">Messages</th>
            <th scope="col">Document bytes</th>
            <th scope="col">Log entries</th>
            <th scope="col">Last activity</th>
          </tr>
        </thead>
        <tbody>
          {rooms.map((room) => (
            <tr key={room.id}>
              <td>
                <button type="button" className="link" onClick={() => setSelected(room.id)}>
                  {room.name ?? room.id.slice(0, 8)}
                </button>
              </td>
              <td>{room.type}</td>
              <td>{room.members}</td>
              <td>{room.messages}</td>
              <td>{room.document_bytes}</td>
              <td>{room.log_entries}</td>
              <td>{ago(room.last_activity)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
