import type { Queryable } from "../db/database.ts";

/**
 * True when another room already has a message with one of these ids. Ids are made by clients and
 * the message index is keyed by id alone, so a reused id would make one room's message speak for
 * another's (its deletion, its uploads). One indexed lookup; nothing when the update creates none.
 */
export async function messageIdsUsedElsewhere(db: Queryable, roomId: string, ids: string[]): Promise<boolean> {
  if (ids.length === 0) return false;
  const { rows } = await db.query("SELECT 1 FROM chat_message_index WHERE message_id = ANY($1::uuid[]) AND room_id <> $2 LIMIT 1", [
    ids,
    roomId,
  ]);
  return rows.length > 0;
}

/**
 * `messageIdsUsedElsewhere` for many callers at once: the checks asked within one turn of the
 * event loop share one query, so a busy server asks once per turn instead of once per update.
 */
export class MessageIdChecks {
  private pending: Array<{ roomId: string; ids: string[]; resolve: (used: boolean) => void; reject: (error: unknown) => void }> = [];

  constructor(private readonly db: Queryable) {}

  /** True when another room already has a message with one of these ids. */
  usedElsewhere(roomId: string, ids: string[]): Promise<boolean> {
    if (ids.length === 0) return Promise.resolve(false);
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => void this.flush());
      this.pending.push({ roomId, ids, resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const { rows } = await this.db.query<{ message_id: string; room_id: string }>(
        "SELECT message_id::text, room_id::text FROM chat_message_index WHERE message_id = ANY($1::uuid[])",
        [[...new Set(batch.flatMap((b) => b.ids))]],
      );
      const roomOf = new Map(rows.map((r) => [r.message_id, r.room_id]));
      for (const b of batch) b.resolve(b.ids.some((id) => roomOf.has(id) && roomOf.get(id) !== b.roomId));
    } catch (error) {
      for (const b of batch) b.reject(error);
    }
  }
}
