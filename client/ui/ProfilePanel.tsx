import { type FormEvent, useEffect, useState } from "react";
import type { MeResponse } from "../../shared/api/auth.ts";
import type { FriendRequestsFrom } from "../../shared/api/users.ts";
import { NotificationSettings } from "../push/NotificationSettings.tsx";
import { useChat } from "../session/chat-context.tsx";
import { ErrorAlert } from "./ErrorAlert.tsx";
import { useAction } from "./use-action.ts";

/** My display name, avatar, bio and who may send me friend requests. */
export function ProfilePanel() {
  const { api, profileSaved } = useChat();
  const [me, setMe] = useState<MeResponse | null>(null);
  const [saved, setSaved] = useState(false);
  const [run, error, busy] = useAction();
  useEffect(() => {
    void run(async () => setMe(await api.get<MeResponse>("/api/v1/users/me")));
  }, [api, run]);

  if (!me) return <section className="panel">{error ? <ErrorAlert error={error} /> : <p>Loading your profile…</p>}</section>;
  const change = (patch: Partial<MeResponse>) => {
    setSaved(false);
    setMe({ ...me, ...patch });
  };
  const save = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const blankIsNull = (value: string | null) => (value?.trim() ? value.trim() : null);
      const updated = await api.put<MeResponse>("/api/v1/users/me", {
        display_name: blankIsNull(me.display_name),
        avatar_url: blankIsNull(me.avatar_url),
        bio: blankIsNull(me.bio),
        friend_requests_from: me.friend_requests_from,
      });
      setMe(updated);
      profileSaved({ id: updated.id, username: updated.username, display_name: updated.display_name, avatar_url: updated.avatar_url });
      setSaved(true);
    });
  };

  return (
    <section className="panel" aria-labelledby="profile-title">
      <h2 id="profile-title">Profile of @{me.username}</h2>
      <form onSubmit={save} className="stack">
        <label>
          Display name
          <input value={me.display_name ?? ""} onChange={(e) => change({ display_name: e.target.value })} maxLength={64} />
        </label>
        <label>
          Avatar URL
          <input type="url" value={me.avatar_url ?? ""} onChange={(e) => change({ avatar_url: e.target.value })} />
        </label>
        <label>
          Bio
          <textarea value={me.bio ?? ""} onChange={(e) => change({ bio: e.target.value })} maxLength={500} />
        </label>
        <label>
          Who may send me friend requests
          <select value={me.friend_requests_from} onChange={(e) => change({ friend_requests_from: e.target.value as FriendRequestsFrom })}>
            <option value="everyone">Everyone</option>
            <option value="friends_of_friends">Friends of friends</option>
            <option value="nobody">Nobody</option>
          </select>
        </label>
        <ErrorAlert error={error} />
        <button type="submit" disabled={busy}>
          Save profile
        </button>
        {saved && <p role="status">Saved.</p>}
      </form>
      <NotificationSettings />
    </section>
  );
}
