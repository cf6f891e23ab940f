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

/** The new message ids one log entry creates in its room. */
export interface MessageIdClaim {
  roomId: string;
  /** The room's document the messages are created in (0: the head): one id is one message of one document. */
  segment?: number;
  ids: string[];
}

/** Thrown inside a commit whose entry creates a message under an id another room already has (writeMirrors). */
export class MessageIdTaken extends Error {
  constructor(readonly ids: string[]) {
    super(`another room already has a message with id ${ids.join(", ")}`);
  }
}

/** Throw MessageIdTaken for the first claim holding one of `reused` (ids another room's index rows hold). */
export function throwIfReused(claims: MessageIdClaim[], reused: string[]): void {
  if (reused.length === 0) return;
  const ids = new Set(reused);
  const first = claims.find((c) => c.ids.some((id) => ids.has(id)));
  if (first) throw new MessageIdTaken(first.ids.filter((id) => ids.has(id)));
}

// Enough to refuse any resend at once; an attacker cycling through more ids costs a reload each.
const REMEMBERED_IDS = 10_000;

/**
 * Ids this process found taken by another room (a commit refused them): the gate refuses an
 * update creating one of them before applying it, so a client resending it after the room
 * reloaded is refused `message_id_taken` instead of failing the commit again.
 */
export class TakenMessageIds {
  private readonly ids = new Set<string>();

  remember(ids: string[]): void {
    for (const id of ids) {
      this.ids.delete(id);
      this.ids.add(id);
      if (this.ids.size > REMEMBERED_IDS) this.ids.delete(this.ids.values().next().value as string);
    }
  }

  anyOf(ids: string[]): boolean {
    return ids.some((id) => this.ids.has(id));
  }
}
