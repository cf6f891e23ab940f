import { useEffect, useState } from "react";
import type { MeResponse } from "../../shared/api/auth.ts";
import { AdminPanel } from "../admin/AdminPanel.tsx";
import { FriendsPanel } from "../friends/FriendsPanel.tsx";
import { NotificationPrompt } from "../push/NotificationPrompt.tsx";
import { JoinGroup } from "../rooms/JoinGroup.tsx";
import { RoomList } from "../rooms/RoomList.tsx";
import { RoomView } from "../rooms/RoomView.tsx";
import { useChat, useSyncStatus, useUserView } from "../session/chat-context.tsx";
import { ConnectionStatus } from "./ConnectionStatus.tsx";
import { ErrorAlert } from "./ErrorAlert.tsx";
import { ProfilePanel } from "./ProfilePanel.tsx";
import { useAction } from "./use-action.ts";

type Tab = "chats" | "friends" | "profile" | "admin";

/** Where the app is, kept in the URL's hash so a reload (online or not) comes back to it. */
function readPlace(): { tab: Tab; roomId: string | null } {
  const hash = location.hash.replace(/^#\/?/, "");
  const room = /^room\/([0-9a-f-]{36})$/i.exec(hash);
  if (room?.[1]) return { tab: "chats", roomId: room[1] };
  if (hash === "friends" || hash === "profile" || hash === "admin") return { tab: hash, roomId: null };
  return { tab: "chats", roomId: null };
}

/** Whether I am a server admin (asked once; the admin page and its button are for them only). */
function useIsServerAdmin(): boolean {
  const { api } = useChat();
  const [admin, setAdmin] = useState(false);
  useEffect(() => {
    api.get<MeResponse>("/api/v1/users/me").then(
      (me) => setAdmin(me.is_server_admin),
      () => {},
    );
  }, [api]);
  return admin;
}

/**
 * A room from the URL: mine is shown from its document (online or not); one I am not in is
 * offered to join when it is a public group.
 */
function OpenRoom({ roomId, onLeft }: { roomId: string; onLeft: () => void }) {
  const rooms = useUserView().rooms;
  const { connection } = useSyncStatus();
  const [joined, setJoined] = useState(false);
  const { sync } = useChat();
  const mine = rooms[roomId];
  // Until the user document has loaded, assume mine: a room opened offline must show at once.
  const loaded = connection !== "offline" && Object.keys(rooms).length > 0;
  if (mine || joined || !loaded || sync.hasRoom(roomId)) return <RoomView roomId={roomId} onLeft={onLeft} />;
  return <JoinGroup roomId={roomId} onJoined={() => setJoined(true)} />;
}

/** The signed-in app: navigation, the connection indicator, and the current screen. */
export function Shell() {
  const { session, logout } = useChat();
  const [place, setPlace] = useState(readPlace);
  // The URL may change from outside: a notification click navigates this tab to its room.
  useEffect(() => {
    const follow = () => setPlace(readPlace());
    window.addEventListener("hashchange", follow);
    return () => window.removeEventListener("hashchange", follow);
  }, []);
  const { tab, roomId } = place;
  const [run, error] = useAction();
  const isAdmin = useIsServerAdmin();
  const go = (next: { tab: Tab; roomId: string | null }) => {
    setPlace(next);
    const hash = next.tab !== "chats" ? `#${next.tab}` : next.roomId ? `#room/${next.roomId}` : "#";
    history.replaceState(null, "", hash);
  };
  const openRoom = (id: string) => go({ tab: "chats", roomId: id });
  const setTab = (t: Tab) => go({ tab: t, roomId });

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
          {isAdmin && (
            <button type="button" aria-pressed={tab === "admin"} onClick={() => setTab("admin")}>
              Admin
            </button>
          )}
          <button type="button" onClick={() => void run(logout)}>
            Log out
          </button>
        </nav>
        <ConnectionStatus />
        <span className="me">{session.user.display_name ?? session.user.username}</span>
      </header>
      <ErrorAlert error={error} />
      <NotificationPrompt />
      {tab === "chats" && (
        <div className="chats">
          <RoomList selected={roomId} onOpen={openRoom} />
          {roomId ? (
            <OpenRoom key={roomId} roomId={roomId} onLeft={() => go({ tab: "chats", roomId: null })} />
          ) : (
            <p className="empty">Pick a chat, or start one from Friends.</p>
          )}
        </div>
      )}
      {tab === "friends" && <FriendsPanel onOpenRoom={openRoom} />}
      {tab === "profile" && <ProfilePanel />}
      {tab === "admin" && isAdmin && <AdminPanel />}
    </div>
  );
}
