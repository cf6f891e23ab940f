import { useEffect, useState, useSyncExternalStore } from "react";
import type * as Y from "yjs";
import { parseAwarenessState } from "../../shared/awareness.ts";
import { useChat } from "../session/chat-context.tsx";
import type { Refusal, RoomSession } from "../sync/room-session.ts";

/** Another member's awareness in this room: who is here and who is typing. */
export interface Peer {
  userId: string;
  name: string;
  typing: boolean;
}

/**
 * A room's live session: its document (replaced after a refusal, when the copy is dropped and
 * resynced), the last refusal with the unsent text it left, and the other members here now.
 */
export function useRoom(roomId: string): {
  session: RoomSession;
  doc: Y.Doc;
  refusal: Refusal | null;
  dismissRefusal(): void;
  peers: Peer[];
} {
  const { sync, session: me } = useChat();
  // One session per mounted room: after a final refusal it stays closed rather than reopening.
  const [session] = useState(() => sync.room(roomId));
  const [doc, setDoc] = useState(session.doc);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  useEffect(
    () =>
      session.onRefused((next) => {
        setDoc(session.doc);
        setRefusal(next);
      }),
    [session],
  );
  useEffect(() => setDoc(session.doc), [session]);

  const peers = useSyncExternalStore(
    (onChange) => {
      const awareness = session.provider.awareness;
      awareness?.on("change", onChange);
      return () => awareness?.off("change", onChange);
    },
    () => peersKey(session, me.user.id),
  );
  return { session, doc, refusal, dismissRefusal: () => setRefusal(null), peers: JSON.parse(peers) as Peer[] };
}

/**
 * Say whether I am typing in the room's awareness, only when that changes: the composer reports
 * every keystroke, and the server relays at most 10 awareness updates a second per connection.
 */
export function setTyping(session: RoomSession, typing: boolean): void {
  if (session.provider.awareness?.getLocalState()?.typing === typing) return;
  session.provider.setAwarenessField("typing", typing);
}

// A string snapshot, so useSyncExternalStore sees a stable value between changes. Only states in
// the shape the server relays count: their `user` is the one the server stamped from the sender's
// session, so nobody can show up here as someone else.
function peersKey(session: RoomSession, me: string): string {
  const byUser = new Map<string, Peer>();
  for (const [clientId, raw] of session.provider.awareness?.getStates() ?? []) {
    if (clientId === session.doc.clientID) continue;
    const state = parseAwarenessState(raw);
    if (!state || state.user.id === me) continue;
    const previous = byUser.get(state.user.id);
    byUser.set(state.user.id, { userId: state.user.id, name: state.user.name, typing: state.typing || Boolean(previous?.typing) });
  }
  return JSON.stringify([...byUser.values()].sort((a, b) => a.name.localeCompare(b.name)));
}
