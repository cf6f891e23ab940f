import { type FormEvent, useState } from "react";
import type { ChatRoomResponse } from "../../shared/api/rooms.ts";
import { useChat, useUserView } from "../session/chat-context.tsx";
import { useConfirm } from "../ui/Confirm.tsx";
import { Dialog } from "../ui/Dialog.tsx";
import { ErrorAlert } from "../ui/ErrorAlert.tsx";
import { nameOf } from "../ui/names.ts";
import { useAction } from "../ui/use-action.ts";

/**
 * A group's settings: admins rename it, add friends, remove members and make them admins;
 * anyone may leave. The room list and the room follow live through the user document.
 */
export function GroupSettingsDialog({ room, onClose, onLeft }: { room: ChatRoomResponse; onClose: () => void; onLeft: () => void }) {
  const { api, session } = useChat();
  const friends = Object.values(useUserView().friends);
  const [name, setName] = useState(room.name ?? "");
  const [run, error, busy] = useAction();
  const confirm = useConfirm();
  const admin = room.my_role === "admin";
  const members = new Set(room.participants.map((p) => p.id));
  const invitable = friends.filter((f) => !members.has(f.id));
  const base = `/api/v1/chat/rooms/${room.id}`;

  const rename = (event: FormEvent) => {
    event.preventDefault();
    void run(() => api.put(base, { name: name.trim() }));
  };
  const leave = () =>
    void confirm
      .ask({
        title: `Leave ${room.name ?? "the group"}?`,
        body: "You stop receiving its messages. This device keeps what you saw, read-only; an admin can add you back.",
        confirm: "Leave group",
      })
      .then(async (yes) => {
        if (!yes) return;
        await run(async () => {
          await api.delete(base);
          onLeft();
        });
      });

  return (
    <Dialog title="Group settings" onClose={onClose}>
      <div className="stack">
        {admin && (
          <form onSubmit={rename} className="row">
            <label>
              Group name
              <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
            </label>
            <button type="submit" disabled={busy}>
              Rename
            </button>
          </form>
        )}
        {admin && (
          <label className="check">
            <input
              type="checkbox"
              checked={room.visibility === "public"}
              onChange={(e) => void run(() => api.put(base, { visibility: e.target.checked ? "public" : "private" }))}
            />
            Public: anyone with the link may join
          </label>
        )}
        {admin && (
          <label>
            Filtered words
            <select
              value={room.content_filter ?? "default"}
              onChange={(e) => {
                const mode = e.target.value === "default" ? null : e.target.value;
                void run(() => api.put(base, { content_filter: mode }));
              }}
            >
              <option value="default">Server default</option>
              <option value="mask">Mask them with ***</option>
              <option value="refuse">Refuse the message</option>
            </select>
          </label>
        )}
        {room.visibility === "public" && (
          <p>
            Link to join: <code>{`${location.origin}/#room/${room.id}`}</code>
          </p>
        )}
        <ul aria-label="Members">
          {room.participants.map((p) => (
            <li key={p.id} className="row">
              <span className="person">{p.id === session.user.id ? "You" : nameOf(p)}</span>
              <small>{p.role}</small>
              {admin && p.id !== session.user.id && (
                <>
                  {p.role === "member" && (
                    <button type="button" onClick={() => void run(() => api.put(`${base}/members/${p.id}`, { role: "admin" }))}>
                      Make admin
                    </button>
                  )}
                  <button
                    type="button"
                    onClick={() =>
                      void confirm
                        .ask({
                          title: `Remove ${nameOf(p)} from ${room.name ?? "the group"}?`,
                          body: `${nameOf(p)} can no longer read new messages or write here, and is told you removed them. They keep what they saw up to now.`,
                          confirm: "Remove from group",
                        })
                        .then((yes) => yes && run(() => api.delete(`${base}/members/${p.id}`)))
                    }
                  >
                    Remove
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
        {admin && invitable.length > 0 && (
          <ul aria-label="Add friends">
            {invitable.map((f) => (
              <li key={f.id} className="row">
                <span className="person">{nameOf(f)}</span>
                <button type="button" onClick={() => void run(() => api.post(`${base}/members`, { user_ids: [f.id] }))}>
                  Add
                </button>
              </li>
            ))}
          </ul>
        )}
        <ErrorAlert error={error} />
        {confirm.dialog}
        <div className="row">
          <button type="button" onClick={leave}>
            Leave group
          </button>
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </Dialog>
  );
}
