import { type FormEvent, useState } from "react";
import type { ChatRoomResponse } from "../../shared/api/rooms.ts";
import { useChat, useUserView } from "../session/chat-context.tsx";
import { Dialog } from "../ui/Dialog.tsx";
import { ErrorAlert } from "../ui/ErrorAlert.tsx";
import { nameOf } from "../ui/names.ts";
import { useAction } from "../ui/use-action.ts";

/** Create a group with some of my friends; I become its admin. */
export function NewGroupDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (roomId: string) => void }) {
  const { api } = useChat();
  const friends = Object.values(useUserView().friends);
  const [name, setName] = useState("");
  const [members, setMembers] = useState<Set<string>>(new Set());
  const [run, error, busy] = useAction();
  const toggle = (id: string) => {
    const next = new Set(members);
    if (!next.delete(id)) next.add(id);
    setMembers(next);
  };
  const create = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const room = await api.post<ChatRoomResponse>("/api/v1/chat/rooms", {
        type: "group",
        name: name.trim(),
        participant_ids: [...members],
      });
      onCreated(room.id);
    });
  };
  return (
    <Dialog title="New group" onClose={onClose}>
      <form onSubmit={create} className="stack">
        <label>
          Group name
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
        </label>
        <fieldset>
          <legend>Members</legend>
          {friends.length === 0 && <p>Add friends first to invite them.</p>}
          {friends.map((f) => (
            <label key={f.id} className="check">
              <input type="checkbox" checked={members.has(f.id)} onChange={() => toggle(f.id)} />
              {nameOf(f)}
            </label>
          ))}
        </fieldset>
        <ErrorAlert error={error} />
        <div className="row">
          <button type="submit" disabled={busy}>
            Create
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
