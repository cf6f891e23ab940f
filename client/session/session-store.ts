import type { User } from "../../shared/api/common.ts";

/** The signed-in session, kept across reloads (and offline: no server is needed to restore it). */
export interface Session {
  token: string;
  user: User;
}

const KEY = "chat.session";

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session) localStorage.setItem(KEY, JSON.stringify(session));
  else localStorage.removeItem(KEY);
}
