import { useEffect, useState, useSyncExternalStore } from "react";
import type { ChatRoomResponse } from "../../shared/api/rooms.ts";
import { MessageSearch } from "../search/MessageSearch.tsx";
import { useChat, useUserView } from "../session/chat-context.tsx";
import { ErrorAlert } from "../ui/ErrorAlert.tsx";
import { ago, roomTitle } from "../ui/names.ts";
import { useAction } from "../ui/use-action.ts";
import { NewGroupDialog } from "./NewGroupDialog.tsx";

const activity = (room: ChatRoomResponse) => room.last_message_at ?? room.created_at;

/** My rooms from the live user document, newest activity first; archived ones folded away. */
export function RoomList({
  selected,
  onOpen,
}: {
  selected: string | null;
  /** Open a room; with `messageId` (a search result), shown in its context. */
  onOpen: (roomId: string, messageId?: string | null) => void;
}) {
  const { session, api, sync } = useChat();
  const view = useUserView();
  useSyncExternalStore(sync.former.subscribe, sync.former.snapshot);
  // Groups I was in, read-only here; one I am back in is a room again.
  const former = sync.former.all().filter((r) => !view.rooms[r.roomId]);
  useEffect(() => {
    for (const r of sync.former.all()) if (view.rooms[r.roomId]) void sync.former.drop(r.roomId, false);
  }, [sync, view.rooms]);
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
      <MessageSearch
        label="Search all chats"
        nameFor={(id, r) => (id === me ? "You" : (r.sender_name ?? "Someone"))}
        roomName={(r) => {
          const room = view.rooms[r.room_id];
          return room ? roomTitle(room, me) : (r.room_name ?? "Chat");
        }}
        onOpen={(r) => onOpen(r.room_id, r.message_id)}
      />
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
        {!showArchived &&
          former.map((r) => (
            <li key={r.roomId} className={`former ${r.roomId === selected ? "selected" : ""}`}>
              <button type="button" className="room" onClick={() => onOpen(r.roomId)} aria-label={r.name ?? "Group"}>
                <span className="title">{r.name ?? "Group"}</span>
                <span className="preview">{r.status === "removed" ? "You were removed" : "You left"}</span>
              </button>
            </li>
          ))}
        {shown.length === 0 && (showArchived || former.length === 0) && (
          <li className="empty">{showArchived ? "Nothing archived." : "No chats yet: start one from Friends, or make a group."}</li>
        )}
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
