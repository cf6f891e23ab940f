import { createContext, useContext, useMemo, useSyncExternalStore } from "react";
import type * as Y from "yjs";
import type { User } from "../../shared/api/common.ts";
import { readUserView, type UserView } from "../../shared/user-doc/index.ts";
import type { Api } from "../api/http.ts";
import type { ChatSync, SyncStatus } from "../sync/chat-sync.ts";
import type { Session } from "./session-store.ts";

/** What every screen of the signed-in app reaches for. */
export interface Chat {
  session: Session;
  /** Me as saved last (the session's user until a profile save changes it). */
  user: User;
  api: Api;
  sync: ChatSync;
  /** After a profile save: the header and this device's session show the new name. */
  profileSaved(user: User): void;
  /** Log out; `progress` hears what it waits for (null when done waiting). */
  logout(progress?: (text: string | null) => void): Promise<void>;
}

export const ChatContext = createContext<Chat | null>(null);

export function useChat(): Chat {
  const chat = useContext(ChatContext);
  if (!chat) throw new Error("useChat outside a signed-in session");
  return chat;
}

export function useSyncStatus(): SyncStatus {
  const { sync } = useChat();
  return useSyncExternalStore(sync.subscribe.bind(sync), sync.getStatus);
}

/** A value read from a Y.Doc, read again whenever the document changes. */
export function useDocValue<T>(doc: Y.Doc, read: (doc: Y.Doc) => T): T {
  const watched = watch(doc);
  const version = useSyncExternalStore(watched.subscribe, watched.version);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is what changes when the document does
  return useMemo(() => read(doc), [doc, version, read]);
}

interface Watched {
  subscribe(onChange: () => void): () => void;
  version(): number;
}

// One update listener per document: it bumps the version before telling React, so the snapshot
// React reads next is always the new one.
const watchedDocs = new WeakMap<Y.Doc, Watched>();
function watch(doc: Y.Doc): Watched {
  let watched = watchedDocs.get(doc);
  if (watched) return watched;
  let version = 0;
  const listeners = new Set<() => void>();
  doc.on("update", () => {
    version++;
    for (const listener of listeners) listener();
  });
  watched = {
    subscribe: (onChange) => {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    version: () => version,
  };
  watchedDocs.set(doc, watched);
  return watched;
}

/** The live user document: friends with presence, pending requests, the room list. */
export function useUserView(): UserView {
  const { sync } = useChat();
  return useDocValue(sync.userDoc, readUserView);
}
