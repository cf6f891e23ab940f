import type { FastifyInstance } from "fastify";

import { type MessageSearchResult, messageSearchQuerySchema, searchWords } from "../../shared/api/search.ts";
import type { AppContext } from "../app-context.ts";
import { requireUser } from "../auth/require-user.ts";
import type { Queryable } from "../db/database.ts";
import { decodeTimeCursor, encodeCursor } from "../http/cursor.ts";
import { HttpError } from "../http/http-error.ts";
import { parse } from "../http/parse.ts";

interface Row {
  message_id: string;
  room_id: string;
  room_type: "direct" | "group";
  room_name: string | null;
  seq: string | number;
  sender_id: string;
  sender_name: string | null;
  content: string;
  created_at: Date;
  sort_at: string;
}

/**
 * Every word as a prefix, all of them required: `'run':* & 'river':*`. The words are letters and
 * digits only, so quoting them in the query text is safe.
 */
export function prefixQuery(words: string[]): string {
  return words.map((w) => `'${w}':*`).join(" & ");
}

/**
 * Search the messages `userId` may read now (rooms they are a current member of), newest first,
 * over the relational mirror's full-text index: the same answer whatever process or client asks.
 * Deleted, erased and system messages have no text there and are never found.
 */
export async function searchMessages(
  db: Queryable,
  userId: string,
  query: { words: string[]; roomId?: string; before?: [string, string]; limit: number },
): Promise<{ items: MessageSearchResult[]; next_cursor: string | null }> {
  const params: unknown[] = [userId, prefixQuery(query.words), query.limit + 1];
  const where = ["i.search_vector @@ to_tsquery('simple', $2)", "i.seq IS NOT NULL", "NOT i.is_deleted", "NOT i.is_system"];
  if (query.roomId) {
    params.push(query.roomId);
    where.push(`i.room_id = $${params.length}::uuid`);
  }
  if (query.before) {
    params.push(query.before[0], query.before[1]);
    where.push(`(i.created_at, i.message_id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  const { rows } = await db.query<Row>(
    `SELECT i.message_id, i.room_id, r.type AS room_type, i.seq, i.sender_id, i.content, i.created_at,
            i.created_at::text AS sort_at,
            COALESCE(u.display_name, u.username) AS sender_name,
            CASE WHEN r.type = 'group' THEN r.name ELSE
              (SELECT COALESCE(ou.display_name, ou.username) FROM chat_participants o JOIN users ou ON ou.id = o.user_id
                WHERE o.room_id = r.id AND o.user_id <> $1 ORDER BY o.joined_at LIMIT 1) END AS room_name
       FROM chat_message_index i
       JOIN chat_participants p ON p.room_id = i.room_id AND p.user_id = $1 AND p.left_at IS NULL
       JOIN chat_rooms r ON r.id = i.room_id
       LEFT JOIN users u ON u.id = i.sender_id
      WHERE ${where.join(" AND ")}
      ORDER BY i.created_at DESC, i.message_id DESC
      LIMIT $3`,
    params,
  );
  const more = rows.length > query.limit;
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => ({
      message_id: r.message_id,
      room_id: r.room_id,
      room_type: r.room_type,
      room_name: r.room_name,
      seq: Number(r.seq),
      sender_id: r.sender_id,
      sender_name: r.sender_name,
      content: r.content,
      created_at: new Date(r.created_at).toISOString(),
    })),
    next_cursor: more && last ? encodeCursor(last.sort_at, last.message_id) : null,
  };
}

/** GET /api/v1/chat/messages/search?q=&room_id=: full-text search of my rooms, in the list envelope. */
export function messageSearchRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx;
  app.get("/api/v1/chat/messages/search", async (request) => {
    const me = await requireUser(db, request);
    const query = parse(messageSearchQuerySchema, request.query, "query");
    const words = searchWords(query.q);
    if (words.length === 0) throw new HttpError("invalid_request", "query.q: give at least one word (letters or digits).");
    const before = query.before === undefined ? undefined : decodeTimeCursor(query.before);
    if (before === null) throw new HttpError("invalid_request", "query.before: not a cursor this server made.");
    if (query.room_id) {
      const { rows } = await db.query("SELECT 1 FROM chat_participants WHERE room_id = $1 AND user_id = $2 AND left_at IS NULL", [
        query.room_id,
        me.id,
      ]);
      if (rows.length === 0) throw new HttpError("not_a_member", "You are not a member of this room.");
    }
    return searchMessages(db, me.id, { words, roomId: query.room_id, before, limit: query.limit });
  });
}
