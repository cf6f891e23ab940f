import { useState } from "react";
import { FriendsPanel } from "../friends/FriendsPanel.tsx";
import { RoomList } from "../rooms/RoomList.tsx";
import { RoomView } from "../rooms/RoomView.tsx";
import { useChat } from "../session/chat-context.tsx";
import { ConnectionStatus } from "./ConnectionStatus.tsx";
import { ErrorAlert } from "./ErrorAlert.tsx";
import { ProfilePanel } from "./ProfilePanel.tsx";
import { useAction } from "./use-action.ts";

type Tab = "chats" | "friends" | "profile";

/** The signed-in app: navigation, the connection indicator, and the current screen. */
export function Shell() {
  const { session, logout } = useChat();
  const [tab, setTab] = useState<Tab>("chats");
  const [roomId, setRoomId] = useState<string | null>(null);
  const [run, error] = useAction();
  const openRoom = (id: string) => {
    setRoomId(id);
    setTab("chats");
  };

  return (
    <div className="shell">
      <header>
        <strong className="brand">Crew chat</strong>
        <nav aria-label="Main">
          {(["chats", "friends", "profile"] as const).map((t) => (
            <button key={t} type="button" aria-pressed={tab === t} onClick={() => setTab(t)}>
              {t === "chats" ? "Chats" : t === "friends" ? "Friends" : "Profile"}
            </button>
          ))}
          <button type="button" onClick={() => void run(logout)}>
            Log out
          </button>
        </nav>
        <ConnectionStatus />
        <span className="me">{session.user.display_name ?? session.user.username}</span>
      </header>
      <ErrorAlert error={error} />
      {tab === "chats" && (
        <div className="chats">
          <RoomList selected={roomId} onOpen={openRoom} />
          {roomId ? <RoomView key={roomId} roomId={roomId} /> : <p className="empty">Pick a chat, or start one from Friends.</p>}
        </div>
      )}
      {tab === "friends" && <FriendsPanel onOpenRoom={openRoom} />}
      {tab === "profile" && <ProfilePanel />}
    </div>
  );
}
