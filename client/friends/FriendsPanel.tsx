import { useCallback, useEffect, useState } from "react";
import type { ListEnvelope } from "../../shared/api/common.ts";
import type { BlockedUser, Suggestion } from "../../shared/api/friends.ts";
import type { ChatRoomResponse } from "../../shared/api/rooms.ts";
import { ReportDialog, type ReportSubject } from "../moderation/ReportDialog.tsx";
import { useChat, useUserView } from "../session/chat-context.tsx";
import { ErrorAlert } from "../ui/ErrorAlert.tsx";
import { ago, nameOf } from "../ui/names.ts";
import { useAction } from "../ui/use-action.ts";
import { FriendRequestDialog } from "./FriendRequestDialog.tsx";
import { PeopleSearch } from "./PeopleSearch.tsx";

/**
 * Friends: search, requests in and out, my friends with presence (all live from the user
 * document), suggestions and the people I blocked (from REST, refreshed after each change).
 */
export function FriendsPanel({ onOpenRoom }: { onOpenRoom: (roomId: string) => void }) {
  const { api, session } = useChat();
  const me = session.user.id;
  const view = useUserView();
  const [asking, setAsking] = useState<{ id: string; name: string } | null>(null);
  const [reporting, setReporting] = useState<ReportSubject | null>(null);
  const [suggestions, setSuggestions] = useState<Suggestion[]>([]);
  const [blocked, setBlocked] = useState<BlockedUser[]>([]);
  const [changes, setChanges] = useState(0);
  const [run, error] = useAction();
  const changed = useCallback(() => setChanges((n) => n + 1), []);
  const friendCount = Object.keys(view.friends).length;
  const requestCount = Object.keys(view.requests).length;

  // Refetched whenever the graph moves: after my actions and when the live document changes.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the counters are the triggers, not inputs
  useEffect(() => {
    void run(async () => {
      const [s, b] = await Promise.all([
        api.get<ListEnvelope<Suggestion>>("/api/v1/chat/friends/suggestions?limit=10"),
        api.get<ListEnvelope<BlockedUser>>("/api/v1/chat/friends/blocked?limit=100"),
      ]);
      setSuggestions(s.items);
      setBlocked(b.items);
    });
  }, [api, run, changes, friendCount, requestCount]);

  const act = (action: () => Promise<unknown>) => void run(action).then(changed);
  const received = Object.values(view.requests).filter((r) => r.requestee_id === me);
  const sent = Object.values(view.requests).filter((r) => r.requester_id === me);
  const friends = Object.values(view.friends).sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
  const message = (friendId: string) =>
    void run(async () => {
      const room = await api.post<ChatRoomResponse>("/api/v1/chat/rooms", { type: "direct", participant_ids: [friendId] });
      onOpenRoom(room.id);
    });

  return (
    <div className="panel friends">
      <ErrorAlert error={error} />
      <PeopleSearch onAdd={setAsking} changed={changes} />

      <section aria-labelledby="received-title">
        <h3 id="received-title">Requests</h3>
        <ul aria-label="Requests received">
          {received.map((r) => (
            <li key={r.id}>
              <span className="person">{r.requester_name}</span>
              {r.message && <q>{r.message}</q>}
              <button type="button" onClick={() => act(() => api.put(`/api/v1/chat/friends/requests/${r.id}`, { status: "accepted" }))}>
                Accept
              </button>
              <button type="button" onClick={() => act(() => api.put(`/api/v1/chat/friends/requests/${r.id}`, { status: "declined" }))}>
                Decline
              </button>
              <button type="button" onClick={() => setReporting({ kind: "user", id: r.requester_id, name: r.requester_name })}>
                Report
              </button>
            </li>
          ))}
          {received.length === 0 && <li className="empty">No requests.</li>}
        </ul>
        <ul aria-label="Requests sent">
          {sent.map((r) => (
            <li key={r.id}>
              <span className="person">To {r.requestee_name}</span>
              <button type="button" onClick={() => act(() => api.delete(`/api/v1/chat/friends/requests/${r.id}`))}>
                Cancel request
              </button>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="friends-title">
        <h3 id="friends-title">Friends</h3>
        <ul aria-label="Friends">
          {friends.map((f) => (
            <li key={f.id}>
              <span className={`presence ${f.is_online ? "on" : "off"}`} aria-hidden="true" />
              <span className="person">{nameOf(f)}</span>
              <small>{f.is_online ? "online" : `last seen ${ago(f.last_seen)}`}</small>
              <button type="button" onClick={() => message(f.id)}>
                Message
              </button>
              <button type="button" onClick={() => act(() => api.delete(`/api/v1/chat/friends/${f.id}`))}>
                Remove
              </button>
              <button type="button" onClick={() => act(() => api.post(`/api/v1/chat/friends/block/${f.id}`))}>
                Block
              </button>
            </li>
          ))}
          {friends.length === 0 && <li className="empty">No friends yet: search for people above.</li>}
        </ul>
      </section>

      <section aria-labelledby="suggestions-title">
        <h3 id="suggestions-title">People you may know</h3>
        <ul aria-label="Suggestions">
          {suggestions.map((s) => (
            <li key={s.id}>
              <span className="person">{nameOf(s)}</span>
              <small>
                {s.mutual_count} mutual friend{s.mutual_count === 1 ? "" : "s"}
              </small>
              <button type="button" onClick={() => setAsking({ id: s.id, name: nameOf(s) })}>
                Add friend
              </button>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="blocked-title">
        <h3 id="blocked-title">Blocked</h3>
        <ul aria-label="Blocked">
          {blocked.map((b) => (
            <li key={b.id}>
              <span className="person">{nameOf(b)}</span>
              <button type="button" onClick={() => act(() => api.delete(`/api/v1/chat/friends/block/${b.id}`))}>
                Unblock
              </button>
              <button type="button" onClick={() => setReporting({ kind: "user", id: b.id, name: nameOf(b) })}>
                Report
              </button>
            </li>
          ))}
        </ul>
      </section>

      {reporting && <ReportDialog subject={reporting} onClose={() => setReporting(null)} />}
      {asking && (
        <FriendRequestDialog
          to={asking}
          onClose={() => setAsking(null)}
          onSent={() => {
            setAsking(null);
            changed();
          }}
        />
      )}
    </div>
  );
}
