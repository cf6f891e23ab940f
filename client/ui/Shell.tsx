import { useEffect, useState, useSyncExternalStore } from "react";
import type { MeResponse } from "../../shared/api/auth.ts";
import { AdminPanel } from "../admin/AdminPanel.tsx";
import { FriendsPanel } from "../friends/FriendsPanel.tsx";
import { NotificationPrompt } from "../push/NotificationPrompt.tsx";
import { FormerRoomView } from "../rooms/FormerRoomView.tsx";
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
function OpenRoom({
  roomId,
  focusMessage,
  onLeft,
  onBack,
}: {
  roomId: string;
  focusMessage: string | null;
  onLeft: () => void;
  onBack: () => void;
}) {
  const rooms = useUserView().rooms;
  const { connection } = useSyncStatus();
  const [joined, setJoined] = useState(false);
  const { sync } = useChat();
  const mine = rooms[roomId];
  useSyncExternalStore(sync.former.subscribe, sync.former.snapshot);
  if (!mine && sync.former.has(roomId)) return <FormerRoomView roomId={roomId} onBack={onBack} />;
  // Until the user document has loaded, assume mine: a room opened offline must show at once.
  const loaded = connection !== "offline" && Object.keys(rooms).length > 0;
  if (mine || joined || !loaded || sync.hasRoom(roomId))
    return <RoomView roomId={roomId} focusMessage={focusMessage} onLeft={onLeft} onBack={onBack} />;
  return <JoinGroup roomId={roomId} onJoined={() => setJoined(true)} />;
}

/** What the tab's title says: the unread count of my rooms that are not muted or archived. */
function useUnreadTitle(): void {
  const rooms = useUserView().rooms;
  const unread = Object.values(rooms).reduce((sum, r) => (r.is_muted || r.is_archived ? sum : sum + r.unread_count), 0);
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) Crew chat` : "Crew chat";
  }, [unread]);
}

/**
 * The signed-in app: navigation, the connection indicator, and the current screen. Wide screens
 * show the room list beside the open room; narrow ones (phones) show one of them at a time, the
 * room with a back control to the list (docs/web-app.md "Phones").
 */
export function Shell() {
  const { session, user, logout } = useChat();
  const view = useUserView();
  const [place, setPlace] = useState(readPlace);
  // The URL may change from outside: a notification click navigates this tab to its room, and
  // the browser's back button (a phone's too) leaves a room for the list.
  useEffect(() => {
    const follow = () => setPlace(readPlace());
    window.addEventListener("hashchange", follow);
    window.addEventListener("popstate", follow);
    return () => {
      window.removeEventListener("hashchange", follow);
      window.removeEventListener("popstate", follow);
    };
  }, []);
  const { tab, roomId } = place;
  const [focusMessage, setFocusMessage] = useState<string | null>(null);
  const [run, error] = useAction();
  const [leaving, setLeaving] = useState<string | null>(null);
  const isAdmin = useIsServerAdmin();
  useUnreadTitle();
  const go = (next: { tab: Tab; roomId: string | null }) => {
    const hash = next.tab !== "chats" ? `#${next.tab}` : next.roomId ? `#room/${next.roomId}` : "#";
    // Entering a room from the list is a step the back button undoes; everything else replaces.
    if (next.roomId && !place.roomId && next.tab === "chats") history.pushState(null, "", hash);
    else history.replaceState(null, "", hash);
    setPlace(next);
  };
  const openRoom = (id: string, messageId: string | null = null) => {
    setFocusMessage(messageId);
    go({ tab: "chats", roomId: id });
  };
  const setTab = (t: Tab) => go({ tab: t, roomId });
  const backToList = () => go({ tab: "chats", roomId: null });
  const waitingRequests = Object.values(view.requests).filter((r) => r.requestee_id === session.user.id).length;

  return (
    <div className={`shell ${tab === "chats" && roomId ? "in-room" : ""}`}>
      <header className="app-header">
        <h1 className="brand">Crew chat</h1>
        <ConnectionStatus />
        <span className="me">{user.display_name ?? user.username}</span>
        <nav aria-label="Main">
          {(["chats", "friends", "profile"] as const).map((t) => (
            <button
              key={t}
              type="button"
              aria-pressed={tab === t}
              aria-describedby={t === "friends" && waitingRequests > 0 ? "requests-waiting" : undefined}
              onClick={() => setTab(t)}
            >
              {t === "chats" ? "Chats" : t === "friends" ? "Friends" : "Profile"}
              {t === "friends" && waitingRequests > 0 && (
                <span className="badge nav-badge" aria-hidden="true">
                  {waitingRequests}
                </span>
              )}
            </button>
          ))}
          {isAdmin && (
            <button type="button" aria-pressed={tab === "admin"} onClick={() => setTab("admin")}>
              Admin
            </button>
          )}
          <button type="button" disabled={leaving !== null} onClick={() => void run(() => logout(setLeaving))}>
            Log out
          </button>
        </nav>
        {waitingRequests > 0 && (
          <span id="requests-waiting" className="visually-hidden">
            {waitingRequests} friend request{waitingRequests === 1 ? "" : "s"} waiting
          </span>
        )}
      </header>
      {leaving && (
        <p role="status" aria-label="Logging out" className="leaving">
          {leaving}
        </p>
      )}
      <ErrorAlert error={error} />
      <NotificationPrompt />
      <main className="screen">
        {tab === "chats" && (
          <div className={`chats ${roomId ? "has-room" : ""}`}>
            <RoomList selected={roomId} onOpen={openRoom} />
            {roomId ? (
              <OpenRoom key={roomId} roomId={roomId} focusMessage={focusMessage} onLeft={backToList} onBack={backToList} />
            ) : (
              <p className="empty pick">Pick a chat, or start one from Friends.</p>
            )}
          </div>
        )}
        {tab === "friends" && <FriendsPanel onOpenRoom={openRoom} />}
        {tab === "profile" && <ProfilePanel />}
        {tab === "admin" && isAdmin && <AdminPanel />}
      </main>
    </div>
  );
}
