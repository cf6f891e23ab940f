import type { Queryable } from "../db/database.ts";

/** One room as operators see it. */
export interface RoomReport {
  id: string;
  type: "direct" | "group";
  name: string | null;
  members: number;
  messages: number;
  document_bytes: number;
  log_entries: number;
  last_activity: string | null;
}

export const ROOM_SORTS = ["activity", "messages", "bytes", "log", "members"] as const;
export type RoomSort = (typeof ROOM_SORTS)[number];

const ORDER: Record<RoomSort, string> = {
  activity: "last_activity DESC NULLS LAST",
  messages: "messages DESC",
  bytes: "document_bytes DESC",
  log: "log_entries DESC",
  members: "members DESC",
};

/**
 * Every room with its size on both sides: members and messages (relational), the document's
 * stored bytes (newest snapshot plus the log after it: what a load reads) and its whole log.
 */
export async function listRoomReports(
  db: Queryable,
  options: { sort?: RoomSort; type?: "direct" | "group"; name?: string; limit?: number; roomId?: string } = {},
): Promise<RoomReport[]> {
  const { rows } = await db.query<RoomReport & { document_bytes: string | number; log_entries: string | number }>(
    `WITH rooms AS (
       SELECT r.id, r.type, r.name, COALESCE(r.last_message_at, r.created_at) AS last_activity,
              'room:' || r.id AS document_name
         FROM chat_rooms r
        WHERE ($1::text IS NULL OR r.type = $1) AND ($2::text IS NULL OR r.name ILIKE '%' || $2 || '%')
          AND ($4::uuid IS NULL OR r.id = $4)
     )
     SELECT rooms.id, rooms.type, rooms.name, rooms.last_activity,
            (SELECT count(*)::int FROM chat_participants p WHERE p.room_id = rooms.id AND p.left_at IS NULL) AS members,
            (SELECT count(*)::int FROM chat_message_index m WHERE m.room_id = rooms.id AND NOT m.is_system) AS messages,
            COALESCE((SELECT length(s.state) FROM document_snapshots s WHERE s.document_name = rooms.document_name
                       ORDER BY s.upto_update_id DESC LIMIT 1), 0)
              + COALESCE((SELECT sum(length(u.update)) FROM document_updates u WHERE u.document_name = rooms.document_name
                           AND u.id > COALESCE((SELECT max(s.upto_update_id) FROM document_snapshots s
                                                 WHERE s.document_name = rooms.document_name), 0)), 0) AS document_bytes,
            (SELECT count(*) FROM document_updates u WHERE u.document_name = rooms.document_name) AS log_entries
       FROM rooms
      ORDER BY ${ORDER[options.sort ?? "activity"]}, rooms.id
      LIMIT $3`,
    [options.type ?? null, options.name ?? null, options.limit ?? 1000, options.roomId ?? null],
  );
  return rows.map((r) => ({
    ...r,
    document_bytes: Number(r.document_bytes),
    log_entries: Number(r.log_entries),
    last_activity: r.last_activity ? new Date(r.last_activity).toISOString() : null,
  }));
}

/** A room's members and roles. */
export async function roomMembers(db: Queryable, roomId: string): Promise<Array<{ username: string; role: string; joined_at: string }>> {
  const { rows } = await db.query<{ username: string; role: string; joined_at: Date }>(
    `SELECT u.username, p.role, p.joined_at FROM chat_participants p JOIN users u ON u.id = p.user_id
      WHERE p.room_id = $1 AND p.left_at IS NULL ORDER BY p.joined_at`,
    [roomId],
  );
  return rows.map((r) => ({ ...r, joined_at: r.joined_at.toISOString() }));
}
