import type { Queryable } from "../db/database.ts";

/** True when the room is a direct room and one of the pair blocked the other: nobody writes in it. */
export async function isReadOnlyDirectRoom(db: Queryable, roomId: string): Promise<boolean> {
  const { rows } = await db.query<{ blocked: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM chat_rooms r JOIN user_blocks b
         ON (b.blocker_id = split_part(r.direct_key, ':', 1)::uuid AND b.blocked_id = split_part(r.direct_key, ':', 2)::uuid)
         OR (b.blocker_id = split_part(r.direct_key, ':', 2)::uuid AND b.blocked_id = split_part(r.direct_key, ':', 1)::uuid)
        WHERE r.id = $1 AND r.type = 'direct') AS blocked`,
    [roomId],
  );
  return rows[0]?.blocked ?? false;
}

/**
 * Which direct rooms are read-only because one of the pair blocked the other. Asked on every
 * update to a room, so the answer is kept per loaded room and dropped whenever any block changes
 * (rare), on every process (the bus's `block_changed`).
 */
export class BlockedRooms {
  private readonly known = new Map<string, boolean>();

  constructor(private readonly db: Queryable) {}

  async isReadOnly(roomId: string): Promise<boolean> {
    const cached = this.known.get(roomId);
    if (cached !== undefined) return cached;
    const blocked = await isReadOnlyDirectRoom(this.db, roomId);
    this.known.set(roomId, blocked);
    return blocked;
  }

  forget(roomId: string): void {
    this.known.delete(roomId);
  }

  /** A block began or ended somewhere: ask again. */
  clear(): void {
    this.known.clear();
  }
}
