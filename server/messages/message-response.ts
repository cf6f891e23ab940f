import type { MessageResponse } from "../../shared/api/messages.ts";
import type { MessageView } from "../../shared/room-doc/index.ts";
import type { Queryable } from "../db/database.ts";

/** Messages with who has read each (server/messages/message-page.ts reads them from the mirror). */
export type MessagesWithReceipts = Array<{
  view: MessageView;
  readBy: Array<{ user_id: string; read_at: string }>;
}>;

/** The seed's MessageResponse for messages of one room, with sender names from the users table. */
export async function toMessageResponses(db: Queryable, roomId: string, messages: MessagesWithReceipts): Promise<MessageResponse[]> {
  const senderIds = [...new Set(messages.map((m) => m.view.sender_id))];
  const { rows } = await db.query<{ id: string; name: string; avatar_url: string | null }>(
    "SELECT id, COALESCE(display_name, username) AS name, avatar_url FROM users WHERE id = ANY($1::uuid[])",
    [senderIds],
  );
  const senders = new Map(rows.map((r) => [r.id, r]));
  return messages.map(({ view: m, readBy }) => ({
    id: m.id,
    room_id: roomId,
    seq: m.seq,
    sender_id: m.sender_id,
    sender_name: senders.get(m.sender_id)?.name ?? null,
    sender_avatar: senders.get(m.sender_id)?.avatar_url ?? null,
    message_type: m.type,
    content: m.content,
    media_urls: m.media_urls,
    attachments: m.attachments,
    location: m.location,
    reply_to_id: m.reply_to_id,
    created_at: m.created_at,
    edited_at: m.edited_at,
    is_deleted: m.deleted,
    reactions: m.reactions,
    read_by: readBy,
  }));
}
