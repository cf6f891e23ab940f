import { useCallback, useEffect, useState } from "react";
import type { ListEnvelope } from "../../shared/api/common.ts";
import type { BlockedUser, Suggestion } from "../../shared/api/friends.ts";
import type { ChatRoomResponse } from "../../shared/api/rooms.ts";
import { ReportDialog, type ReportSubject } from "../moderation/ReportDialog.tsx";
import { useChat, useSyncStatus, useUserView } from "../session/chat-context.tsx";
import { useConfirm } from "../ui/Confirm.tsx";
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
  const confirm = useConfirm();
  const { connection } = useSyncStatus();
  // Friends I just removed or blocked keep their row (saying so) while this screen is open, so
  // the list never slides another person's buttons under the pointer.
  const [ended, setEnded] = useState<Record<string, { name: string; blocked: boolean }>>({});
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
  const rows = [
    ...Object.values(view.friends).map((f) => ({ id: f.id, name: nameOf(f), friend: f })),
    ...Object.entries(ended)
      .filter(([id]) => !view.friends[id])
      .map(([id, e]) => ({ id, name: e.name, friend: null })),
  ].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  const remove = async (id: string, name: string) => {
    const yes = await confirm.ask({
      title: `Remove ${name} from your friends?`,
      body: `You stay in the chats you share, but ${name} no longer sees when you are online. Either of you can send a new request later.`,
      confirm: "Remove friend",
    });
    if (!yes) return;
    setEnded((e) => ({ ...e, [id]: { name, blocked: false } }));
    act(() => api.delete(`/api/v1/chat/friends/${id}`));
  };
  const block = async (id: string, name: string) => {
    const yes = await confirm.ask({
      title: `Block ${name}?`,
      body: `Block also ends your friendship. ${name} can no longer send you messages or requests, and your direct chat becomes read-only. You can unblock them later.`,
      confirm: "Block",
    });
    if (!yes) return;
    setEnded((e) => ({ ...e, [id]: { name, blocked: true } }));
    act(() => api.post(`/api/v1/chat/friends/block/${id}`));
  };
  const message = (friendId: string) =>
    void run(async () => {
      const room = await api.post<ChatRoomResponse>("/api/v1/chat/rooms", { type: "direct", participant_ids: [friendId] });
      onOpenRoom(room.id);
    });

  return (
    <div className="panel friends">
      <ErrorAlert error={error} />
      {/* Asked again whenever the graph moves, here or on the other side (an accepted request). */}
      <PeopleSearch
        onAdd={setAsking}
        changed={`${changes}:${Object.keys(view.friends).sort().join()}:${Object.keys(view.requests).sort().join()}`}
      />

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
          {sent.length === 0 && <li className="empty">No requests sent.</li>}
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
          {rows.map(({ id, name, friend: f }) =>
            f ? (
              <li key={id}>
                <span className={`presence ${f.is_online && connection !== "offline" ? "on" : "off"}`} aria-hidden="true" />
                <span className="person">{name}</span>
                {/* Offline, this device cannot know who is online: it says so rather than showing stale dots. */}
                <small>
                  {connection === "offline" ? "unknown while you are offline" : f.is_online ? "online" : `last seen ${ago(f.last_seen)}`}
                </small>
                <button type="button" onClick={() => message(f.id)}>
                  Message
                </button>
                <button type="button" onClick={() => void remove(id, name)}>
                  Remove
                </button>
                <button type="button" onClick={() => void block(id, name)}>
                  Block
                </button>
              </li>
            ) : (
              <li key={id} className="ended">
                <span className="person">{ended[id]?.blocked ? `You blocked ${name}` : `You removed ${name}`}</span>
                {ended[id]?.blocked && (
                  <button
                    type="button"
                    onClick={() =>
                      act(async () => {
                        await api.delete(`/api/v1/chat/friends/block/${id}`);
                        setEnded((e) => Object.fromEntries(Object.entries(e).filter(([k]) => k !== id)));
                      })
                    }
                  >
                    Undo block
                  </button>
                )}
              </li>
            ),
          )}
          {rows.length === 0 && <li className="empty">No friends yet: search for people above.</li>}
        </ul>
      </section>

      <section aria-labelledby="suggestions-title">
        <h3 id="suggestions-title">People you may know</h3>
        <ul aria-label="Suggestions">
          {suggestions.length === 0 && <li className="empty">No suggestions yet: they come from your friends' friends.</li>}
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
          {blocked.length === 0 && <li className="empty">You have not blocked anyone.</li>}
          {blocked.map((b) => (
            <li key={b.id}>
              <span className="person">{nameOf(b)}</span>
              <button
                type="button"
                onClick={() =>
                  void confirm
                    .ask({
                      title: `Unblock ${nameOf(b)}?`,
                      body: `${nameOf(b)} may send you messages and requests again. Your friendship does not come back by itself.`,
                      confirm: "Unblock",
                    })
                    .then((yes) => yes && act(() => api.delete(`/api/v1/chat/friends/block/${b.id}`)))
                }
              >
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
      {confirm.dialog}
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
