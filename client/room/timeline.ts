import type { MessageView } from "../../shared/room-doc/index.ts";

/** Where a message of mine stands, as the room shows it. */
export type MessageState = "waiting" | "saved" | "seen";

/** One row of a room's timeline: a message, or the divider above the first unread one. */
export type TimelineRow = { kind: "message"; message: MessageView; state: MessageState | null } | { kind: "unread_divider" };

/** A timeline row holding a message. */
export type MessageRow = Extract<TimelineRow, { kind: "message" }>;

/**
 * The rows a room shows, from its messages in display order (accepted by sequence number, then my
 * unaccepted ones), the user's read marker as it was when the room was opened, and the highest
 * marker of anyone else. My messages carry a state: waiting (the server has not accepted it),
 * saved (accepted) or seen (another member's marker reached it). The "New messages" divider goes
 * above the first accepted message from someone else after my marker; it stays put while the room
 * is open, so reading does not make it jump.
 */
export function buildTimeline(
  messages: readonly MessageView[],
  me: string,
  unreadAfterSeq: number | null,
  othersReadSeq: number,
): TimelineRow[] {
  const rows: TimelineRow[] = [];
  let dividerPlaced = unreadAfterSeq === null;
  for (const message of messages) {
    const fromOther = message.sender_id !== me && message.type !== "system";
    if (!dividerPlaced && fromOther && message.seq !== null && message.seq > (unreadAfterSeq ?? 0)) {
      rows.push({ kind: "unread_divider" });
      dividerPlaced = true;
    }
    rows.push({ kind: "message", message, state: message.sender_id === me ? stateOf(message, othersReadSeq) : null });
  }
  return rows;
}

function stateOf(message: MessageView, othersReadSeq: number): MessageState {
  if (message.seq === null) return "waiting";
  return othersReadSeq >= message.seq ? "seen" : "saved";
}

/** The marker to put the divider after, when the room is opened: null when nothing is unread. */
export function unreadFrom(messages: readonly MessageView[], me: string, myMarker: number): number | null {
  const unread = messages.some((m) => m.sender_id !== me && m.type !== "system" && m.seq !== null && m.seq > myMarker);
  return unread ? myMarker : null;
}

/** How many of my changes wait for the server, as far as the room's copy can tell: unaccepted messages. */
export function waitingCount(messages: readonly MessageView[], me: string): number {
  return messages.filter((m) => m.sender_id === me && m.seq === null).length;
}
