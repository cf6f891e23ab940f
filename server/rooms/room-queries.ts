import type { ChatRoomResponse } from "../../shared/api/rooms.ts";
import type { ContentFilterMode } from "../../shared/content-filter/index.ts";
import type { Queryable } from "../db/database.ts";

/**
 * One query for rooms as a given user sees them: participants, my settings, the last message and
 * my unread count (accepted messages after my read marker, from others, not deleted or system),
 * all maintained by the server as the documents change.
 */
const ROOM_SELECT = `
  SELECT r.id, r.type, r.name, r.description, r.visibility, r.slow_mode_seconds, r.content_filter, r.context_type, r.context_id,
         r.created_by, r.created_at, r.last_message_at, r.last_message,
         COALESCE(r.last_message_at, r.created_at)::text AS sort_at,
         me.role AS my_role, COALESCE(me.is_muted, false) AS is_muted, COALESCE(me.is_archived, false) AS is_archived,
         (SELECT count(*) FROM chat_message_index m
           WHERE m.room_id = r.id AND m.seq > COALESCE(me.last_read_seq, 0) AND m.sender_id <> $1
             AND NOT m.is_deleted AND NOT m.is_system)::int AS unread_count,
         (SELECT COALESCE(json_agg(json_build_object(
                   'id', u.id, 'username', u.username, 'display_name', u.display_name,
                   'avatar_url', u.avatar_url, 'role', p.role, 'joined_at', p.joined_at)
                   ORDER BY p.joined_at, u.id), '[]'::json)
            FROM chat_participants p JOIN users u ON u.id = p.user_id
           WHERE p.room_id = r.id AND p.left_at IS NULL) AS participants
    FROM chat_rooms r
    LEFT JOIN chat_participants me ON me.room_id = r.id AND me.user_id = $1 AND me.left_at IS NULL`;

interface RoomRow {
  id: string;
  type: "direct" | "group";
  name: string | null;
  description: string | null;
  visibility: "private" | "public";
  slow_mode_seconds: number;
  content_filter: ContentFilterMode | null;
  context_type: string | null;
  context_id: string | null;
  created_by: string | null;
  created_at: Date;
  last_message_at: Date | null;
  last_message: ChatRoomResponse["last_message"];
  /** Full-precision text of the sort time: a Date would lose the microseconds the cursor needs. */
  sort_at: string;
  my_role: "admin" | "member" | null;
  is_muted: boolean;
  is_archived: boolean;
  unread_count: number;
  participants: Array<{
    id: string;
    username: string;
    display_name: string | null;
    avatar_url: string | null;
    role: "admin" | "member";
    joined_at: string;
  }>;
}

function toRoom(row: RoomRow): ChatRoomResponse {
  return {
    id: row.id,
    type: row.type,
    name: row.name,
    description: row.description,
    visibility: row.visibility,
    slow_mode_seconds: row.slow_mode_seconds,
    content_filter: row.content_filter,
    context: row.context_type && row.context_id ? { type: row.context_type, id: row.context_id } : null,
    created_by: row.created_by,
    created_at: new Date(row.created_at).toISOString(),
    last_message_at: row.last_message_at ? new Date(row.last_message_at).toISOString() : null,
    last_message: row.last_message ?? null,
    participants: row.participants.map((p) => ({
      ...p,
      joined_at: new Date(p.joined_at).toISOString(),
    })),
    unread_count: row.my_role ? row.unread_count : 0,
    my_role: row.my_role ?? "member",
    is_muted: row.is_muted,
    is_archived: row.is_archived,
  };
}

/** A room as `userId` sees it, or null when it does not exist. */
export async function findRoom(db: Queryable, userId: string, roomId: string): Promise<(ChatRoomResponse & { is_member: boolean }) | null> {
  const { rows } = await db.query<RoomRow>(`${ROOM_SELECT} WHERE r.id = $2`, [userId, roomId]);
  const row = rows[0];
  return row ? { ...toRoom(row), is_member: row.my_role !== null } : null;
}

/** The cursor of a room list: where the page ended, opaque to clients. */
function encodeCursor(row: RoomRow): string {
  return Buffer.from(`${row.sort_at}|${row.id}`).toString("base64url");
}

function decodeCursor(cursor: string): [string, string] | null {
  const [at, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  if (!at || !id || !/^\d{4}-\d{2}-\d{2} [\d:.]+[+-]\d{2}(:\d{2})?$/.test(at) || !/^[0-9a-f-]{36}$/i.test(id)) return null;
  return [at, id];
}

/**
 * My current rooms, newest activity first, one page at a time. `archived` filters on my archive
 * flag (undefined: all). Returns null for a cursor this server did not make.
 */
export async function listMyRooms(
  db: Queryable,
  userId: string,
  page: { before?: string; limit: number; archived?: boolean },
): Promise<{ items: ChatRoomResponse[]; next_cursor: string | null } | null> {
  const params: unknown[] = [userId, page.limit + 1];
  const where = ["me.user_id IS NOT NULL"];
  if (page.archived !== undefined) {
    params.push(page.archived);
    where.push(`me.is_archived = $${params.length}`);
  }
  if (page.before) {
    const cursor = decodeCursor(page.before);
    if (!cursor) return null;
    params.push(cursor[0], cursor[1]);
    where.push(`(COALESCE(r.last_message_at, r.created_at), r.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  const { rows } = await db.query<RoomRow>(
    `${ROOM_SELECT} WHERE ${where.join(" AND ")}
      ORDER BY COALESCE(r.last_message_at, r.created_at) DESC, r.id DESC LIMIT $2`,
    params,
  );
  const more = rows.length > page.limit;
  const pageRows = rows.slice(0, page.limit);
  const last = pageRows.at(-1);
  return { items: pageRows.map(toRoom), next_cursor: more && last ? encodeCursor(last) : null };
}
