import type { FastifyInstance } from "fastify";
import { uuidParam } from "../../shared/api/common.ts";
import type { MyMembership, RoomMember } from "../../shared/api/rooms.ts";
import type { AppContext } from "../app-context.ts";
import { requireUser } from "../auth/require-user.ts";
import type { Queryable } from "../db/database.ts";
import { HttpError } from "../http/http-error.ts";
import { parse } from "../http/parse.ts";

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

interface MineRow {
  room_type: "direct" | "group";
  room_name: string | null;
  joined_at: Date;
  left_at: Date | null;
  removed_by: string | null;
  remover_username: string | null;
  remover_display_name: string | null;
  remover_avatar_url: string | null;
}

/** My membership of a room, current or past; null when I was never in it. */
export async function myMembership(db: Queryable, userId: string, roomId: string): Promise<MyMembership | null> {
  const { rows } = await db.query<MineRow>(
    `SELECT r.type AS room_type,
            CASE WHEN r.type = 'group' THEN r.name ELSE
              (SELECT COALESCE(ou.display_name, ou.username) FROM chat_participants o JOIN users ou ON ou.id = o.user_id
                WHERE o.room_id = r.id AND o.user_id <> $1 ORDER BY o.joined_at LIMIT 1) END AS room_name,
            p.joined_at, p.left_at, p.removed_by,
            a.username AS remover_username, a.display_name AS remover_display_name, a.avatar_url AS remover_avatar_url
       FROM chat_participants p JOIN chat_rooms r ON r.id = p.room_id
       LEFT JOIN users a ON a.id = p.removed_by
      WHERE p.room_id = $2 AND p.user_id = $1`,
    [userId, roomId],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    room_id: roomId,
    room_type: row.room_type,
    room_name: row.room_name,
    status: row.left_at === null ? "member" : row.removed_by ? "removed" : "left",
    joined_at: iso(row.joined_at) ?? "",
    left_at: iso(row.left_at),
    removed_by:
      row.removed_by && row.remover_username
        ? {
            id: row.removed_by,
            username: row.remover_username,
            display_name: row.remover_display_name,
            avatar_url: row.remover_avatar_url,
          }
        : null,
  };
}

/**
 * Everyone who is or was in the room, current members first, as `userId` may see them: a current
 * member sees all; a past member sees those who had joined by the time they left (nobody who came
 * after). Null when `userId` was never in the room.
 */
export async function memberDirectory(db: Queryable, userId: string, roomId: string): Promise<RoomMember[] | null> {
  const mine = await myMembership(db, userId, roomId);
  if (!mine) return null;
  const { rows } = await db.query<{
    id: string;
    username: string;
    display_name: string | null;
    avatar_url: string | null;
    role: "admin" | "member";
    joined_at: Date;
    left_at: Date | null;
    removed_by: string | null;
  }>(
    `SELECT u.id, u.username, u.display_name, u.avatar_url, p.role, p.joined_at, p.left_at, p.removed_by
       FROM chat_participants p JOIN users u ON u.id = p.user_id
      WHERE p.room_id = $1 AND ($2::timestamptz IS NULL OR p.joined_at <= $2::timestamptz OR p.user_id = $3)
      ORDER BY p.left_at IS NOT NULL, p.joined_at, u.id`,
    [roomId, mine.left_at, userId],
  );
  return rows.map((r) => ({ ...r, joined_at: iso(r.joined_at) ?? "", left_at: iso(r.left_at) }));
}

/** GET /rooms/{room_id}/members (the directory, past members included) and GET /rooms/{room_id}/membership (mine). */
export function memberDirectoryRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx;
  const roomIdOf = (params: unknown) => parse(uuidParam, (params as { room_id?: string }).room_id, "room_id");

  app.get("/api/v1/chat/rooms/:room_id/members", async (request) => {
    const me = await requireUser(db, request);
    const items = await memberDirectory(db, me.id, roomIdOf(request.params));
    if (!items) throw new HttpError("not_found", "No such room.");
    return { items, next_cursor: null };
  });

  app.get("/api/v1/chat/rooms/:room_id/membership", async (request) => {
    const me = await requireUser(db, request);
    const mine = await myMembership(db, me.id, roomIdOf(request.params));
    if (!mine) throw new HttpError("not_found", "No such room.");
    return mine;
  });
}
