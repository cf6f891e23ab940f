import { useState } from "react";
import type { ChatRoomResponse } from "../../shared/api/rooms.ts";
import { useChat, useUserView } from "../session/chat-context.tsx";
import { ErrorAlert } from "../ui/ErrorAlert.tsx";
import { ago, roomTitle } from "../ui/names.ts";
import { useAction } from "../ui/use-action.ts";
import { NewGroupDialog } from "./NewGroupDialog.tsx";

const activity = (room: ChatRoomResponse) => room.last_message_at ?? room.created_at;

/** My rooms from the live user document, newest activity first; archived ones folded away. */
export function RoomList({ selected, onOpen }: { selected: string | null; onOpen: (roomId: string) => void }) {
  const { session, api } = useChat();
  const view = useUserView();
  const [showArchived, setShowArchived] = useState(false);
  const [creating, setCreating] = useState(false);
  const [run, error] = useAction();
  const me = session.user.id;
  const rooms = Object.values(view.rooms).sort((a, b) => (activity(a) < activity(b) ? 1 : -1));
  const shown = rooms.filter((r) => r.is_archived === showArchived);

  const setting = (room: ChatRoomResponse, patch: { is_muted?: boolean; is_archived?: boolean }) =>
    void run(() => api.put(`/api/v1/chat/rooms/${room.id}/settings`, patch));

  return (
    <aside className="room-list">
      <div className="row">
        <button type="button" onClick={() => setCreating(true)}>
          New group
        </button>
        <button type="button" aria-pressed={showArchived} onClick={() => setShowArchived(!showArchived)}>
          {showArchived ? "Show chats" : "Archived"}
        </button>
      </div>
      <ErrorAlert error={error} />
      <ul aria-label="Rooms">
        {shown.map((room) => (
          <li key={room.id} className={room.id === selected ? "selected" : ""}>
            <button type="button" className="room" onClick={() => onOpen(room.id)} aria-label={roomTitle(room, me)}>
              <span className="title">{roomTitle(room, me)}</span>
              <span className="when">{ago(activity(room))}</span>
              <span className="preview">{room.last_message?.content ?? (room.last_message ? "Message deleted" : "No messages yet")}</span>
              {room.unread_count > 0 && <span className="badge">{room.unread_count} unread</span>}
              {room.is_muted && <span className="muted-flag">muted</span>}
            </button>
            <div className="room-actions">
              <button type="button" onClick={() => setting(room, { is_muted: !room.is_muted })}>
                {room.is_muted ? "Unmute" : "Mute"}
              </button>
              <button type="button" onClick={() => setting(room, { is_archived: !room.is_archived })}>
                {room.is_archived ? "Unarchive" : "Archive"}
              </button>
            </div>
          </li>
        ))}
        {shown.length === 0 && <li className="empty">{showArchived ? "Nothing archived." : "No chats yet."}</li>}
      </ul>
      {creating && (
        <NewGroupDialog
          onClose={() => setCreating(false)}
          onCreated={(roomId) => {
            setCreating(false);
            onOpen(roomId);
          }}
        />
      )}
    </aside>
  );
}
