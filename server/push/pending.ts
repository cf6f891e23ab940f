import type { PushKind } from "../../shared/api/push.ts";
import { storableJson } from "../../shared/text/storable.ts";
import type { Queryable } from "../db/database.ts";
import type { AcceptedMessage } from "../sync/room-writer.ts";
import { prefersSql } from "./preferences.ts";
import { type RoomRecipient, roomNotificationFor } from "./room-notification.ts";

/** The collapse key of a room's notifications, and of friend requests (one per user). */
export const roomCollapseKey = (roomId: string) => `room:${roomId}`;
export const FRIEND_REQUESTS_KEY = "friend_requests";

// A user counts as connected while any process holds a WebSocket of theirs (server/presence).
const OFFLINE_SQL = "NOT EXISTS (SELECT 1 FROM presence_connections pc WHERE pc.user_id = m.user_id)";

/**
 * Add newly accepted messages, per room, to the pending notifications of each room's members who
 * would get one: current members with a subscription, not connected, for whom roomNotificationFor
 * says so. One recipients query and one insert for every room at once, however many rooms and
 * messages. A member's first message starts the room's collapse window (`due_at`); later ones only
 * add to the count and replace the preview, so a room makes one notification per window. A
 * mention makes the pending notification a mention, and keeps its text as the preview.
 */
export async function addRoomMessages(
  db: Queryable,
  acceptedByRoom: Map<string, AcceptedMessage[]>,
  collapseSeconds: number,
): Promise<number> {
  // System lines (member added, room renamed) notify nobody: most batches of a new room are only those.
  const rooms = [...acceptedByRoom].filter(([, accepted]) => accepted.some((m) => m.type !== "system" && !m.deleted));
  if (rooms.length === 0) return 0;
  const senders = [...new Set(rooms.flatMap(([, accepted]) => accepted.map((m) => m.sender_id)))];
  const { rows: recipients } = await db.query<RoomRecipient & { room_id: string }>(
    `SELECT m.room_id::text, m.user_id::text, u.username, m.is_muted, ${prefersSql("messages")} AS messages, ${prefersSql("mentions")} AS mentions,
            ARRAY(SELECT b.blocked_id::text FROM user_blocks b WHERE b.blocker_id = m.user_id AND b.blocked_id::text = ANY($2::text[]))
              AS blocked_sender_ids
       FROM chat_participants m
       JOIN users u ON u.id = m.user_id
       LEFT JOIN push_preferences p ON p.user_id = m.user_id
      WHERE m.room_id = ANY($1::uuid[]) AND m.left_at IS NULL
        AND EXISTS (SELECT 1 FROM push_subscriptions s WHERE s.user_id = m.user_id)
        AND ${OFFLINE_SQL}`,
    [rooms.map(([roomId]) => roomId), senders],
  );
  const rows = recipients.flatMap((r) => {
    const notification = roomNotificationFor(r, acceptedByRoom.get(r.room_id) ?? []);
    return notification ? [{ user_id: r.user_id, room_id: r.room_id, collapse_key: roomCollapseKey(r.room_id), ...notification }] : [];
  });
  if (rows.length === 0) return 0;
  await db.query(
    `INSERT INTO push_pending (user_id, collapse_key, room_id, kind, count, sender_id, preview, due_at)
     SELECT r.user_id, r.collapse_key, r.room_id, r.kind, r.count, r.sender_id, r.preview, now() + make_interval(secs => $2::float8)
       FROM jsonb_to_recordset($1::jsonb) AS r(user_id uuid, collapse_key text, room_id uuid, kind text, count int, sender_id uuid, preview text)
     ON CONFLICT (user_id, collapse_key) DO UPDATE SET
       count = push_pending.count + EXCLUDED.count,
       kind = CASE WHEN push_pending.kind = 'mention' THEN 'mention' ELSE EXCLUDED.kind END,
       sender_id = CASE WHEN push_pending.kind = 'mention' AND EXCLUDED.kind <> 'mention' THEN push_pending.sender_id ELSE EXCLUDED.sender_id END,
       preview = CASE WHEN push_pending.kind = 'mention' AND EXCLUDED.kind <> 'mention' THEN push_pending.preview ELSE EXCLUDED.preview END`,
    [storableJson(rows), collapseSeconds],
  );
  return rows.length;
}

/**
 * A friend request to `requesteeId` notifies them at the dispatcher's next pass when they are not
 * connected, have a subscription and want friend requests. Requests not yet sent collapse into one.
 */
export async function addFriendRequest(db: Queryable, requesteeId: string, requesterId: string): Promise<boolean> {
  const { rows } = await db.query(
    `INSERT INTO push_pending (user_id, collapse_key, room_id, kind, count, sender_id, preview, due_at)
     SELECT m.user_id, $3, NULL, 'friend_request', 1, $2, '', now()
       FROM (SELECT $1::uuid AS user_id) m LEFT JOIN push_preferences p ON p.user_id = m.user_id
      WHERE ${prefersSql("friend_requests")}
        AND EXISTS (SELECT 1 FROM push_subscriptions s WHERE s.user_id = m.user_id)
        AND ${OFFLINE_SQL}
     ON CONFLICT (user_id, collapse_key) DO UPDATE SET count = push_pending.count + 1, sender_id = EXCLUDED.sender_id
     RETURNING user_id`,
    [requesteeId, requesterId, FRIEND_REQUESTS_KEY],
  );
  return rows.length > 0;
}

/** A pending notification taken off the table by one dispatcher, with the names its text needs. */
export interface ClaimedNotification {
  user_id: string;
  room_id: string | null;
  kind: PushKind;
  count: number;
  preview: string;
  sender_name: string | null;
  room_type: "direct" | "group" | null;
  room_name: string | null;
}

/**
 * Take up to `limit` due notifications of users still not connected, deleting them in the same
 * statement. SKIP LOCKED lets every process's dispatcher claim at once without two taking the same
 * row; a message arriving meanwhile starts a new row (a new window). Rows of users who connected
 * in the meantime are deleted and not returned: the app shows them what they missed.
 */
export async function claimDue(db: Queryable, limit: number): Promise<ClaimedNotification[]> {
  const { rows } = await db.query<ClaimedNotification>(
    `WITH claimed AS (
       DELETE FROM push_pending WHERE (user_id, collapse_key) IN (
         SELECT user_id, collapse_key FROM push_pending WHERE due_at <= now() ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING *)
     SELECT m.user_id::text, m.room_id::text, m.kind, m.count, m.preview,
            COALESCE(s.display_name, s.username) AS sender_name, r.type AS room_type, r.name AS room_name
       FROM claimed m
       JOIN users u ON u.id = m.user_id
       LEFT JOIN users s ON s.id = m.sender_id
       LEFT JOIN chat_rooms r ON r.id = m.room_id
      WHERE ${OFFLINE_SQL} AND (m.room_id IS NULL OR r.id IS NOT NULL)`,
    [limit],
  );
  return rows;
}
