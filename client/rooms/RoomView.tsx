import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import {
  addReaction,
  allMessages,
  deleteMessage,
  editMessage,
  type MessageView,
  markRead,
  readBy,
  removeReaction,
  roomMaps,
  sendMessage,
} from "../../shared/room-doc/index.ts";
import { OutboxItems } from "../media/OutboxItems.tsx";
import { refusedFiles } from "../media/outbox.ts";
import { ReportDialog, type ReportSubject } from "../moderation/ReportDialog.tsx";
import { reloadContentFilter, useContentFilter } from "../moderation/use-content-filter.ts";
import { noteMessageSent } from "../push/push-moment.ts";
import { buildTimeline, unreadFrom } from "../room/timeline.ts";
import { MessageSearch } from "../search/MessageSearch.tsx";
import { useChat, useDocValue, useUserView } from "../session/chat-context.tsx";
import { useConfirm } from "../ui/Confirm.tsx";
import { ErrorAlert } from "../ui/ErrorAlert.tsx";
import { nameOf } from "../ui/names.ts";
import { Composer } from "./Composer.tsx";
import { FormerRoomView } from "./FormerRoomView.tsx";
import { GroupSettingsDialog } from "./GroupSettingsDialog.tsx";
import { MessageItem } from "./MessageItem.tsx";
import { MessageLog } from "./MessageLog.tsx";
import { RefusalNotice } from "./RefusalNotice.tsx";
import { RoomHeader } from "./RoomHeader.tsx";
import { useLogScroll } from "./use-log-scroll.ts";
import { usePastNames } from "./use-past-names.ts";
import { setTyping, useRoom } from "./use-room.ts";

// Messages shown at first; scrolling towards the top (or "Load older messages") shows this many more.
const PAGE = 100;

/**
 * One room: its history, who is here and typing, and the composer. `focusMessage` (a search
 * result) is shown in its context and highlighted; `onBack` returns to the room list (phones).
 */
export function RoomView({
  roomId,
  focusMessage = null,
  onLeft,
  onBack,
}: {
  roomId: string;
  focusMessage?: string | null;
  onLeft: () => void;
  onBack?: () => void;
}) {
  const { session: me, api, sync } = useChat();
  const confirm = useConfirm();
  const contentFilter = useContentFilter(api);
  const myId = me.user.id;
  const room = useUserView().rooms[roomId];
  const { session, doc, refusal, dismissRefusal, peers } = useRoom(roomId);
  const messages = useDocValue(doc, allMessages);
  const receipts = useDocValue(doc, (d) => roomMaps(d).receipts.toJSON() as Record<string, { seq: number }>);
  // The oldest message shown, as an index into `messages`: set when they first arrive, so those
  // arriving later add below and never move what the reader sees; older pages lower it.
  const [oldestShown, setOldestShown] = useState<number | null>(null);
  if (oldestShown === null && messages.length > 0) setOldestShown(Math.max(0, messages.length - PAGE));
  const firstShown = Math.min(oldestShown ?? Number.POSITIVE_INFINITY, Math.max(0, messages.length - PAGE));
  const [replyTo, setReplyTo] = useState<MessageView | null>(null);
  const [editing, setEditing] = useState<MessageView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [retryText, setRetryText] = useState<string | undefined>(undefined);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [searching, setSearching] = useState(false);
  const [reporting, setReporting] = useState<ReportSubject | null>(null);
  // The message the log's single tab stop is on; null: the newest.
  const [activeId, setActiveId] = useState<string | null>(null);

  // Where my marker stood when I opened the room: the "New messages" divider stays there. With
  // nothing unread at that moment there is no divider: what arrives while I look is read.
  const unreadAfter = useRef<number | null | undefined>(undefined);
  if (unreadAfter.current === undefined && messages.length > 0) unreadAfter.current = unreadFrom(messages, myId, receipts[myId]?.seq ?? 0);

  // Everyone seen in the room while it is open keeps their name, a member removed a moment ago too.
  const seenNames = useRef(new Map<string, string>());
  const names = useMemo(() => {
    for (const p of room?.participants ?? []) seenNames.current.set(p.id, nameOf(p));
    return new Map(seenNames.current);
  }, [room]);
  // Those who left or were removed keep their names on what they wrote and read.
  const pastNames = usePastNames(roomId, names, [...new Set([...messages.map((m) => m.sender_id), ...Object.keys(receipts)])]);
  const nameFor = useCallback(
    (userId: string) => (userId === myId ? "You" : (names.get(userId) ?? pastNames[userId] ?? "Someone")),
    [names, pastNames, myId],
  );
  const othersRead = Math.max(0, ...Object.entries(receipts).flatMap(([userId, r]) => (userId === myId ? [] : [r.seq])));
  const timeline = useMemo(
    () => buildTimeline(messages.slice(firstShown), myId, unreadAfter.current ?? null, othersRead),
    [messages, firstShown, myId, othersRead],
  );
  const byId = useMemo(() => new Map(messages.map((m) => [m.id, m])), [messages]);
  const lastSeenMine = [...messages]
    .reverse()
    .find((m) => m.sender_id === myId && m.type !== "system" && m.seq !== null && othersRead >= m.seq);
  // A block makes a direct room read-only: the server refuses writes with `blocked`. The room
  // says why, in words, instead of offering a "Send again" that could never succeed.
  const [readOnly, setReadOnly] = useState<string | null>(null);
  const otherId = room?.type === "direct" ? room.participants.find((p) => p.id !== myId)?.id : undefined;
  useEffect(() => {
    if (refusal?.code === "blocked") {
      const who = otherId ? (names.get(otherId) ?? "this person") : "this person";
      setReadOnly(`This chat is read-only: you can no longer message ${who}.`);
      void api.get<{ items: Array<{ id: string }> }>("/api/v1/chat/friends/blocked?limit=100").then(
        (page) => {
          if (page.items.some((b) => b.id === otherId))
            setReadOnly(`This chat is read-only because you blocked ${who}. Unblock them on the Friends screen to write again.`);
        },
        () => {},
      );
    }
    if (refusal?.code === "content_blocked" || refusal?.code === "link_blocked") void reloadContentFilter(api);
  }, [refusal, api, otherId, names]);

  const act = (action: () => void): boolean => {
    setError(null);
    try {
      action();
      return true;
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
      return false;
    }
  };
  // What the server would store: masked in a masking room; a refusal is shown before sending.
  const filtered = (text: string): string | null => {
    const verdict = contentFilter.judge(text, room?.content_filter ?? contentFilter.rules.default_mode);
    if (verdict.ok) return verdict.text;
    setError(verdict.message);
    return null;
  };

  // Move my read marker to the newest accepted message while the room is on screen.
  useEffect(() => {
    const newest = [...messages].reverse().find((m) => m.seq !== null);
    if (!newest || document.visibilityState !== "visible") return;
    if ((receipts[myId]?.seq ?? 0) >= (newest.seq ?? 0)) return;
    try {
      markRead(doc, { user_id: myId, message_id: newest.id });
    } catch {
      // Not accepted on this copy yet: the next update tries again.
    }
  }, [messages, receipts, doc, myId]);

  const loadOlder = useCallback(() => setOldestShown(Math.max(0, firstShown - PAGE)), [firstShown]);
  const scroll = useLogScroll({ canLoadOlder: firstShown > 0, loadOlder });

  // Be present in this room's awareness, so the others see me here and typing. The server puts
  // my session's identity in `user` whatever this says (docs/api.md "Awareness").
  useEffect(() => {
    session.provider.setAwarenessField("user", { id: myId, name: me.user.display_name ?? me.user.username });
  }, [session, myId, me.user]);
  const onTyping = useCallback((typing: boolean) => setTyping(session, typing), [session]);

  // A message to bring into view, focused and highlighted, once it is among those shown.
  const [revealing, setRevealing] = useState<string | null>(null);
  const jumpTo = useCallback(
    (id: string) => {
      const index = messages.findIndex((m) => m.id === id);
      if (index < 0) return false;
      if (index < firstShown) setOldestShown(Math.max(0, index - 10));
      scroll.release();
      setActiveId(id);
      setRevealing(id);
      return true;
    },
    [messages, firstShown, scroll],
  );
  useEffect(() => {
    const index = revealing ? messages.findIndex((m) => m.id === revealing) : -1;
    if (!revealing || index < firstShown) return;
    setRevealing(null);
    // The list has one item per message shown.
    scroll.reveal(index - firstShown, `m-${revealing}`, true);
  }, [revealing, messages, firstShown, scroll]);
  // A search result opened here: shown in its context once the room's copy has it.
  const focused = useRef<string | null>(null);
  useEffect(() => {
    if (focusMessage && focused.current !== focusMessage && jumpTo(focusMessage)) focused.current = focusMessage;
  }, [focusMessage, jumpTo]);
  const toggleReaction = (m: MessageView, emoji: string) =>
    act(() =>
      (m.reactions[emoji] ?? []).includes(myId)
        ? removeReaction(doc, { message_id: m.id, user_id: myId, emoji })
        : addReaction(doc, { message_id: m.id, user_id: myId, emoji }),
    );
  const typing = peers.filter((p) => p.typing);
  // Removed from the group (or left it): the history this device kept stays, read-only.
  if (refusal?.final && refusal.code === "not_a_member" && sync.former.has(roomId))
    return <FormerRoomView roomId={roomId} onBack={onBack} />;
  if (refusal?.final) {
    return (
      <section className="room panel">
        <p role="alert">{refusal.message}</p>
      </section>
    );
  }
  const newestId = [...timeline].reverse().find((r) => r.kind === "message")?.message.id ?? null;
  const tabStop = activeId && timeline.some((r) => r.kind === "message" && r.message.id === activeId) ? activeId : newestId;

  return (
    <section className="room" aria-labelledby="room-title">
      <RoomHeader
        room={room}
        peers={peers}
        searching={searching}
        onBack={onBack}
        onSettings={() => setSettingsOpen(true)}
        onToggleSearch={() => setSearching(!searching)}
      />
      {searching && (
        <MessageSearch
          roomId={roomId}
          label="Search in this chat"
          localMessages={messages}
          autoFocus
          nameFor={(id) => nameFor(id)}
          onOpen={(r) => jumpTo(r.message_id)}
        />
      )}
      <RefusalNotice
        refusal={refusal}
        readOnly={readOnly}
        onRetry={(text) => {
          setRetryText(text);
          dismissRefusal();
        }}
        onDismiss={dismissRefusal}
      />
      <MessageLog
        rows={timeline}
        firstIndex={firstShown}
        scroll={scroll}
        header={
          firstShown > 0 && (
            <button type="button" className="older" onClick={loadOlder}>
              Load older messages
            </button>
          )
        }
        footer={
          <>
            <OutboxItems roomId={roomId} />
            {messages.length === 0 && <p className="empty">No messages yet. Say hello!</p>}
          </>
        }
        renderMessage={(row) => (
          <MessageItem
            message={row.message}
            me={myId}
            state={row.state}
            senderName={nameFor(row.message.sender_id)}
            quoted={quoteOf(row.message, byId, nameFor)}
            seenBy={row.message.id === lastSeenMine?.id ? readBy(doc, row.message.id).map((r) => nameFor(r.user_id)) : []}
            mayDelete={row.message.sender_id === myId || (room?.type === "group" && room.my_role === "admin")}
            onJumpTo={jumpTo}
            active={row.message.id === tabStop}
            onActivate={() => setActiveId(row.message.id)}
            onReply={() => {
              setEditing(null);
              setReplyTo(row.message);
            }}
            onEdit={() => {
              setReplyTo(null);
              setEditing(row.message);
            }}
            onDelete={() =>
              void confirm
                .ask({
                  title: "Delete this message?",
                  body: "It is deleted for everyone in this chat: they see “This message was deleted” instead.",
                  confirm: "Delete for everyone",
                })
                .then(
                  (yes) =>
                    yes &&
                    act(() =>
                      deleteMessage(doc, { message_id: row.message.id, actor_id: myId, may_moderate: row.message.sender_id !== myId }),
                    ),
                )
            }
            onReport={() =>
              setReporting({
                kind: "message",
                id: row.message.id,
                quote: (row.message.content ?? "").slice(0, 200),
                author: nameFor(row.message.sender_id),
              })
            }
            onToggleReaction={(emoji) => toggleReaction(row.message, emoji)}
          />
        )}
      />
      <p className="typing" aria-live="polite">
        {typing.length > 0 ? `${typing.map((p) => p.name).join(", ")} ${typing.length === 1 ? "is" : "are"} typing…` : ""}
      </p>
      <ErrorAlert error={error} />
      <Composer
        replyTo={replyTo}
        editing={editing}
        senderName={nameFor}
        initialText={retryText}
        readOnly={readOnly}
        onTyping={onTyping}
        onCancel={() => {
          setReplyTo(null);
          setEditing(null);
        }}
        onSend={(written, files) => {
          const text = written ? filtered(written) : "";
          if (text === null) return false;
          if (files.length > 0) {
            const refused = refusedFiles(files);
            if (refused) {
              setError(refused);
              return false;
            }
            // Through the outbox: the message is written into the room once its files are uploaded.
            void sync.outbox.add({ roomId, content: text || null, replyToId: replyTo?.id ?? null, files }).catch((caught: unknown) => {
              setError(caught instanceof Error ? caught.message : String(caught));
            });
            noteMessageSent();
            setReplyTo(null);
            scroll.followMine();
            return true;
          }
          return (
            text !== null &&
            act(() => {
              sendMessage(doc, { sender_id: myId, content: text, reply_to_id: replyTo?.id ?? null });
              noteMessageSent();
              scroll.followMine();
              setReplyTo(null);
              setRetryText(undefined);
            })
          );
        }}
        onSaveEdit={(written) => {
          const text = filtered(written);
          return (
            text !== null &&
            act(() => {
              if (editing) editMessage(doc, { message_id: editing.id, actor_id: myId, content: text });
              setEditing(null);
            })
          );
        }}
      />
      {reporting && <ReportDialog subject={reporting} onClose={() => setReporting(null)} />}
      {confirm.dialog}
      {settingsOpen && room && <GroupSettingsDialog room={room} onClose={() => setSettingsOpen(false)} onLeft={onLeft} />}
    </section>
  );
}

function quoteOf(message: MessageView, byId: Map<string, MessageView>, nameFor: (id: string) => string) {
  if (!message.reply_to_id) return null;
  const original = byId.get(message.reply_to_id);
  if (!original) return { name: "", text: "an earlier message" };
  return { name: nameFor(original.sender_id), text: original.deleted ? "deleted message" : (original.content ?? "").slice(0, 80) };
}
