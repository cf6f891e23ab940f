import type { ChatRoomResponse } from "../../shared/api/rooms.ts";
import { useChat, useSyncStatus, useUserView } from "../session/chat-context.tsx";
import { ago, roomTitle } from "../ui/names.ts";
import type { Peer } from "./use-room.ts";

/**
 * A room's header: "Back to chats" (phones), its name, group settings, who is here (a direct
 * chat: the friend online or last seen) and the search toggle.
 */
export function RoomHeader(props: {
  room: ChatRoomResponse | undefined;
  peers: Peer[];
  searching: boolean;
  onBack?: () => void;
  onSettings(): void;
  onToggleSearch(): void;
}) {
  const { session } = useChat();
  const { connection } = useSyncStatus();
  const friends = useUserView().friends;
  const { room, peers } = props;
  const me = session.user.id;
  const title = room ? roomTitle(room, me) : "Chat";
  const other = room?.type === "direct" ? room.participants.find((p) => p.id !== me) : undefined;
  const friend = other ? friends[other.id] : undefined;
  const presence = (() => {
    if (!other) return peers.length > 0 ? `Here now: ${peers.map((p) => p.name).join(", ")}` : "Nobody else here right now";
    if (connection === "offline") return "You are offline";
    if (peers.some((p) => p.userId === other.id) || friend?.is_online) return "online";
    return friend ? `last seen ${ago(friend.last_seen)}` : "";
  })();
  return (
    <header className="room-header">
      {props.onBack && (
        <button type="button" className="back" aria-label="Back to chats" onClick={props.onBack}>
          ←
        </button>
      )}
      <h2 id="room-title">{title}</h2>
      {room?.type === "group" && (
        <button type="button" className="settings" aria-label="Group settings" onClick={props.onSettings}>
          <span className="wide-only">Group settings</span>
          <span className="narrow-only" aria-hidden="true">
            ⚙️
          </span>
        </button>
      )}
      <p className="here">{presence}</p>
      <button
        type="button"
        className="search-toggle"
        aria-label="Search in this chat"
        aria-expanded={props.searching}
        onClick={props.onToggleSearch}
      >
        <span className="wide-only">Search</span>
        <span className="narrow-only" aria-hidden="true">
          🔍
        </span>
      </button>
    </header>
  );
}
