import { useEffect, useState } from "react";
import type { ChatRoomResponse } from "../../shared/api/rooms.ts";
import { useChat } from "../session/chat-context.tsx";
import { ErrorAlert } from "../ui/ErrorAlert.tsx";
import { useAction } from "../ui/use-action.ts";

/** A room I am not in, opened from a link: public groups can be joined, anything else is not found. */
export function JoinGroup({ roomId, onJoined }: { roomId: string; onJoined: () => void }) {
  const { api } = useChat();
  const [room, setRoom] = useState<ChatRoomResponse | null>(null);
  const [run, error, busy] = useAction();
  useEffect(() => {
    void run(async () => setRoom(await api.get<ChatRoomResponse>(`/api/v1/chat/rooms/${roomId}`)));
  }, [api, run, roomId]);
  return (
    <section className="panel">
      <ErrorAlert error={error} />
      {room && (
        <>
          <h2>{room.name}</h2>
          {room.description && <p>{room.description}</p>}
          <p>{room.participants.length} members</p>
          <button
            type="button"
            disabled={busy}
            onClick={() => void run(() => api.post(`/api/v1/chat/rooms/${roomId}/join`)).then(onJoined)}
          >
            Join group
          </button>
        </>
      )}
    </section>
  );
}
