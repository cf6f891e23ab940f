import type { MessagePosition } from "../../shared/room-doc/index.ts";
import { HttpError } from "../http/http-error.ts";

// "<seq>.<id>": the id breaks a tie between two messages an older release gave one number, so a
// page border between them skips neither. A bare "<seq>" (cursors handed out before) still pages.
const CURSOR = /^([1-9][0-9]{0,14})(?:\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}))?$/;

/** The `next_cursor` of a page whose oldest message is at `position`. */
export function messageCursor(position: MessagePosition): string {
  return `${position.seq}.${position.id}`;
}

/** The position a `before` cursor names; 400 for anything this server did not make. */
export function parseMessageCursor(cursor: string): MessagePosition {
  const match = CURSOR.exec(cursor);
  if (!match) throw new HttpError("invalid_request", "query.before: not a cursor this server made.");
  return { seq: Number(match[1]), id: match[2] ?? "" };
}
