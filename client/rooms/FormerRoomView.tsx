import { useCallback, useMemo, useSyncExternalStore } from "react";
import { allMessages, readBy, roomMaps } from "../../shared/room-doc/index.ts";
import { buildTimeline } from "../room/timeline.ts";
import { useChat, useDocValue } from "../session/chat-context.tsx";
import { MessageItem } from "./MessageItem.tsx";
import { MessageLog } from "./MessageLog.tsx";
import { useLogScroll } from "./use-log-scroll.ts";

const noop = () => {};

/**
 * A group I left or was removed from: why I cannot write here any more ("You were removed from
 * <group> by <admin>"), and the history up to then as this device kept it, read-only, with the
 * names of everyone in it.
 */
export function FormerRoomView({ roomId, onBack }: { roomId: string; onBack?: () => void }) {
  const { sync, session } = useChat();
  const myId = session.user.id;
  useSyncExternalStore(sync.former.subscribe, sync.former.snapshot);
  const info = sync.former.info(roomId);
  const doc = useMemo(() => sync.former.doc(roomId), [sync, roomId]);
  const messages = useDocValue(doc, allMessages);
  const receipts = useDocValue(doc, (d) => roomMaps(d).receipts.toJSON() as Record<string, { seq: number }>);
  const nameFor = useCallback((id: string) => (id === myId ? "You" : (info?.names[id] ?? "Someone")), [info, myId]);
  const othersRead = Math.max(0, ...Object.entries(receipts).flatMap(([userId, r]) => (userId === myId ? [] : [r.seq])));
  const timeline = useMemo(() => buildTimeline(messages, myId, null, othersRead), [messages, myId, othersRead]);
  const lastSeenMine = [...messages]
    .reverse()
    .find((m) => m.sender_id === myId && m.type !== "system" && m.seq !== null && othersRead >= m.seq);
  const scroll = useLogScroll({ canLoadOlder: false, loadOlder: noop });
  const title = info?.name ?? "Group";
  const notice = !info
    ? "You are no longer a member of this group."
    : info.status === "removed"
      ? `You were removed from ${title}${info.removedBy ? ` by ${info.removedBy}` : ""}`
      : `You left ${title}`;

  return (
    <section className="room former" aria-labelledby="room-title">
      <header className="room-header">
        {onBack && (
          <button type="button" className="back" aria-label="Back to chats" onClick={onBack}>
            ←
          </button>
        )}
        <h2 id="room-title">{title}</h2>
        <p className="here">Read-only: you are not a member</p>
      </header>
      <MessageLog
        rows={timeline}
        firstIndex={0}
        scroll={scroll}
        footer={messages.length === 0 && <p className="empty">This device kept no messages of this group.</p>}
        renderMessage={(row) => (
          <MessageItem
            message={row.message}
            me={myId}
            state={row.state}
            senderName={nameFor(row.message.sender_id)}
            quoted={null}
            seenBy={row.message.id === lastSeenMine?.id ? readBy(doc, row.message.id).map((r) => nameFor(r.user_id)) : []}
            mayDelete={false}
            readOnly
            onJumpTo={noop}
            onReply={noop}
            onEdit={noop}
            onDelete={noop}
            onReport={noop}
            onToggleReaction={noop}
          />
        )}
      />
      <p className="read-only removed-notice" role="status">
        {notice}
      </p>
    </section>
  );
}
