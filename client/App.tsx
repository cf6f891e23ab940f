import { useEffect, useMemo, useRef, useState } from "react";
import type { User } from "../shared/api/common.ts";
import { Api } from "./api/http.ts";
import { clearMediaCache } from "./media/media-cache.ts";
import { forgetThisDevice } from "./push/web-push.ts";
import { type Chat, ChatContext } from "./session/chat-context.tsx";
import { loadSession, type Session, saveSession } from "./session/session-store.ts";
import { ChatSync } from "./sync/chat-sync.ts";
import { AuthScreen } from "./ui/AuthScreen.tsx";
import { Shell } from "./ui/Shell.tsx";

/** The app: the sign-in screen, or the signed-in app with its sync running. */
export function App() {
  const [session, setSession] = useState<Session | null>(loadSession);
  const signIn = (next: Session | null) => {
    saveSession(next);
    setSession(next);
  };
  if (!session) return <AuthScreen onSignedIn={signIn} />;
  return <SignedIn key={session.user.id} session={session} onSignedOut={() => signIn(null)} />;
}

// How long logging out waits for waiting changes to reach the server before asking.
const LOGOUT_FLUSH_MS = 5_000;

function SignedIn({ session, onSignedOut }: { session: Session; onSignedOut: () => void }) {
  // Made in an effect, so whatever mounts it (twice, under StrictMode) also tears it down.
  const [sync, setSync] = useState<ChatSync | null>(null);
  // My name and picture as saved last: a profile save shows at once, without a new session.
  const [user, setUser] = useState<User>(session.user);
  useEffect(() => {
    const started = new ChatSync(session);
    setSync(started);
    return () => started.destroy();
  }, [session]);

  // Set while this tab logs out: the server then ends the session's sockets, which is no news here.
  const loggingOut = useRef(false);
  useEffect(() => {
    if (!sync) return;
    // The session was logged out in another tab of this browser, which cleared the local data:
    // this tab signs out too, rather than retrying a token the server no longer takes.
    return sync.onSessionEnded(() => {
      if (!loggingOut.current) onSignedOut();
    });
  }, [sync, onSignedOut]);

  const chat = useMemo<Chat | null>(() => {
    if (!sync) return null;
    const api = new Api(() => session.token);
    return {
      session,
      user,
      api,
      sync,
      profileSaved(next) {
        saveSession({ ...session, user: next });
        setUser(next);
      },
      async logout(progress = () => {}) {
        const before = sync.statusNow();
        // Offline, waiting cannot help: ask at once. Online, say what is being sent while it goes.
        if (before.connection !== "offline" && (before.waiting > 0 || before.connection === "syncing")) {
          progress(
            before.waiting > 0
              ? `Sending ${before.waiting} waiting message${before.waiting === 1 ? "" : "s"} before logging out…`
              : "Saving your changes before logging out…",
          );
        }
        const flushed = before.connection === "offline" ? before.waiting === 0 : await sync.flush(LOGOUT_FLUSH_MS);
        progress(null);
        if (!flushed) {
          const { waiting } = sync.getStatus();
          const what = waiting > 0 ? `${waiting} message${waiting === 1 ? "" : "s"} not yet sent` : "changes not yet saved";
          if (!window.confirm(`You have ${what}. Logging out deletes them from this device. Log out anyway?`)) return;
        }
        // This device must not show the next person this user's notifications.
        await forgetThisDevice(api).catch(() => {});
        // Revoke the token when the server can be reached; offline, the local data goes anyway.
        loggingOut.current = true;
        await api.post("/api/v1/auth/logout").catch(() => {});
        sync.destroy();
        await sync.local.clearAll();
        await sync.outbox.clearAll();
        await clearMediaCache(session.user.id);
        localStorage.removeItem(`chat.rooms.${session.user.id}`);
        // Former groups and the names of their members go with the copies they described.
        for (const key of Object.keys(localStorage)) {
          if (key === `chat.former.${session.user.id}` || key.startsWith(`chat.names.${session.user.id}.`)) localStorage.removeItem(key);
        }
        onSignedOut();
      },
    };
  }, [session, sync, onSignedOut, user]);

  if (!chat) return null;
  return (
    <ChatContext.Provider value={chat}>
      <Shell />
    </ChatContext.Provider>
  );
}
