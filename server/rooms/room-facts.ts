import type { ContentFilterMode } from "../../shared/content-filter/index.ts";
import type { Queryable } from "../db/database.ts";
import { isReadOnlyDirectRoom } from "./blocking.ts";

/** What the write rules need to know about a room, which changes rarely (settings, admins, blocks). */
export interface RoomFacts {
  type: "direct" | "group";
  /** A group's slow mode: one message per member per this many seconds (0: off). */
  slowModeSeconds: number;
  /** The room admins' content-filter choice, or null for the server's default. */
  contentFilter: ContentFilterMode | null;
  /** The current members who are room admins. */
  admins: ReadonlySet<string>;
  /** A direct room where one of the pair blocked the other: nobody writes in it. */
  readOnly: boolean;
  /** The segment new messages go to (docs/architecture.md "Long-lived rooms"). */
  liveSegment: number;
}

/** The room's facts in two indexed queries, or null when there is no such room. */
export async function loadRoomFacts(db: Queryable, roomId: string): Promise<RoomFacts | null> {
  const { rows } = await db.query<{
    type: "direct" | "group";
    slow_mode_seconds: number;
    content_filter: ContentFilterMode | null;
    admins: string[];
    live_segment: number;
  }>(
    `SELECT r.type, r.slow_mode_seconds, r.content_filter, r.live_segment,
            ARRAY(SELECT p.user_id::text FROM chat_participants p
                   WHERE p.room_id = r.id AND p.left_at IS NULL AND p.role = 'admin') AS admins
       FROM chat_rooms r WHERE r.id = $1`,
    [roomId],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    type: row.type,
    slowModeSeconds: row.slow_mode_seconds,
    contentFilter: row.content_filter,
    admins: new Set(row.admins),
    readOnly: row.type === "direct" && (await isReadOnlyDirectRoom(db, roomId)),
    liveSegment: row.live_segment,
  };
}
