import type { PushPayload } from "../../shared/api/push.ts";
import type { ClaimedNotification } from "./pending.ts";

/** How one push is sent: what the push service may collapse it with, and how long it keeps it. */
export interface PushDelivery {
  payload: PushPayload;
  /** Web Push `Topic` (≤ 32 URL-safe characters): an undelivered push with the same topic is replaced. */
  topic: string;
  urgency: "normal" | "high";
}

/** "3 new messages", "1 new friend request": the count line of a collapsed notification. */
export function countLine(kind: PushPayload["kind"], count: number): string {
  const noun = kind === "friend_request" ? "friend request" : "message";
  return `${count} new ${noun}${count === 1 ? "" : "s"}`;
}

/**
 * The notification a claimed row becomes. The text is written here, at send time, so names are
 * current; `latest` is the newest message as one line, and `body` adds the count when the push
 * stands for more than one. A room's pushes share its tag and topic (its id without dashes:
 * exactly 32 characters), so both the device and the push service keep only the newest.
 */
export function deliveryFor(row: ClaimedNotification): PushDelivery {
  const sender = row.sender_name ?? "Someone";
  if (row.kind === "friend_request" || row.room_id === null) {
    const latest = `${sender} wants to be friends.`;
    return {
      payload: {
        kind: "friend_request",
        room_id: null,
        title: "New friend request",
        body: row.count > 1 ? `${countLine("friend_request", row.count)}\n${latest}` : latest,
        latest,
        count: row.count,
        url: "/#friends",
        tag: "friend-requests",
      },
      topic: "friend-requests",
      urgency: "normal",
    };
  }
  const group = row.room_type === "group";
  const roomName = row.room_name ?? "a group";
  const title =
    row.kind === "mention" ? (group ? `${sender} mentioned you in ${roomName}` : `${sender} mentioned you`) : group ? roomName : sender;
  const latest = group && row.kind !== "mention" ? `${sender}: ${row.preview}` : row.preview;
  return {
    payload: {
      kind: row.kind,
      room_id: row.room_id,
      title,
      body: row.count > 1 ? `${countLine(row.kind, row.count)}\n${latest}` : latest,
      latest,
      count: row.count,
      url: `/#room/${row.room_id}`,
      tag: `room:${row.room_id}`,
    },
    topic: row.room_id.replaceAll("-", ""),
    urgency: row.kind === "mention" ? "high" : "normal",
  };
}
