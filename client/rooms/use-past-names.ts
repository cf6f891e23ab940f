import { useEffect, useRef, useState } from "react";
import type { ListEnvelope } from "../../shared/api/common.ts";
import type { RoomMember } from "../../shared/api/rooms.ts";
import { useChat, useSyncStatus } from "../session/chat-context.tsx";

/**
 * Names of people in a room's history who are no longer in it (they left or were removed), from
 * the member directory (GET /rooms/{id}/members), asked once when the history names someone the
 * member list does not; kept in localStorage so they read offline too.
 */
export function usePastNames(roomId: string, known: ReadonlyMap<string, string>, ids: readonly string[]): Record<string, string> {
  const { api, session } = useChat();
  const { connection } = useSyncStatus();
  const key = `chat.names.${session.user.id}.${roomId}`;
  const [names, setNames] = useState<Record<string, string>>(() => {
    try {
      return JSON.parse(localStorage.getItem(key) ?? "{}") as Record<string, string>;
    } catch {
      return {};
    }
  });
  const missing = ids.some((id) => id !== session.user.id && !known.has(id) && !names[id]);
  const asking = useRef(false);
  useEffect(() => {
    if (!missing || asking.current || connection === "offline") return;
    asking.current = true;
    api.get<ListEnvelope<RoomMember>>(`/api/v1/chat/rooms/${roomId}/members`).then(
      (page) => {
        const next = Object.fromEntries(page.items.map((m) => [m.id, m.display_name ?? m.username]));
        localStorage.setItem(key, JSON.stringify(next));
        setNames(next);
      },
      () => {
        asking.current = false;
      },
    );
  }, [missing, connection, api, roomId, key]);
  return names;
}
