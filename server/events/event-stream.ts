import type { LiveEvent } from "../../shared/api/events.ts";
import type { Queryable } from "../db/database.ts";
import { findRoom } from "../rooms/room-queries.ts";
import { type Cursor, compareCursors, encodeCursor, type JournalRow } from "./journal.ts";

/** Where a stream's bytes go (the HTTP response): `write` answers how many bytes wait unsent. */
export interface StreamSink {
  write(chunk: string): number;
  /** Resolves once what was written has left for the socket (backpressure for catching up). */
  drained(): Promise<void>;
  close(): void;
}

/** What one caller may receive, read from the database and refreshed as it changes. */
interface Access {
  /** My current rooms and their type (blocks matter only in direct rooms). */
  rooms: Map<string, "direct" | "group">;
  friends: Set<string>;
  /** People who blocked me. */
  blockedBy: Set<string>;
}

async function loadAccess(db: Queryable, userId: string): Promise<Access> {
  const [rooms, friends, blockedBy] = await Promise.all([
    db.query<{ room_id: string; type: "direct" | "group" }>(
      `SELECT p.room_id, r.type FROM chat_participants p JOIN chat_rooms r ON r.id = p.room_id
        WHERE p.user_id = $1 AND p.left_at IS NULL`,
      [userId],
    ),
    db.query<{ friend_id: string }>("SELECT friend_id FROM friendships WHERE user_id = $1", [userId]),
    db.query<{ blocker_id: string }>("SELECT blocker_id FROM user_blocks WHERE blocked_id = $1", [userId]),
  ]);
  return {
    rooms: new Map(rooms.rows.map((r) => [r.room_id, r.type])),
    friends: new Set(friends.rows.map((r) => r.friend_id)),
    blockedBy: new Set(blockedBy.rows.map((r) => r.blocker_id)),
  };
}

/** One SSE frame; an event without `cursor` is ephemeral and leaves the client's Last-Event-ID alone. */
export function sseFrame(event: LiveEvent, cursor?: Cursor): string {
  return `${cursor ? `id: ${encodeCursor(cursor)}\n` : ""}event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/** Rows whose event is the room as its reader sees it now: a query each. */
const needsQuery = (row: JournalRow) => row.kind === "room.added" || row.kind === "room.updated";

/** The frame of a row whose data is its payload, made once for all the streams that send it. */
function sharedFrame(row: JournalRow): string {
  row.frame ??= sseFrame({ type: row.kind, data: row.payload } as LiveEvent, row.cursor);
  return row.frame;
}

/**
 * One open event stream: its position in the journal, what its user may see, and the order of
 * what it sends. Journal rows are handled one at a time through `queue`, so a row that needs a
 * query (a room as the caller sees it) never lets a later row overtake it; ephemeral events
 * (typing, presence) are written at once. Authorization is decided per event, when it is sent,
 * from the current access (a removed member's rooms go at once, see `leaveRoom`).
 */
export class EventStream {
  /** The last journal position handled: rows at or before it are never sent again. */
  cursor: Cursor;
  private access: Access = { rooms: new Map(), friends: new Set(), blockedBy: new Set() };
  private queue: Promise<void> = Promise.resolve();
  /** Rows waiting in `queue`: past `maxQueuedRows` the reader is cut off. */
  private queued = 0;
  /** Work in `queue` not yet done: while any is, rows wait their turn behind it. */
  private pending = 0;
  closed = false;
  /** Set once it has caught up: the shared reader hands it every row from then on. */
  following = false;
  /** This stream's row in presence_connections: an event client is online as a WebSocket one is. */
  presenceId: string | undefined;

  constructor(
    readonly userId: string,
    readonly sessionId: string,
    start: Cursor,
    private readonly db: Queryable,
    private readonly sink: StreamSink,
    private readonly limits: { maxBufferedBytes: number; maxQueuedRows: number },
    private readonly onClose: (stream: EventStream, reason: string) => void,
  ) {
    this.cursor = start;
  }

  /** Read what the user may see; queued, so it cannot overtake rows that change it. */
  refreshAccess(): Promise<void> {
    return this.enqueue(async () => {
      this.access = await loadAccess(this.db, this.userId);
    });
  }

  isMemberOf(roomId: string): boolean {
    return this.access.rooms.has(roomId);
  }

  isFriendOf(userId: string): boolean {
    return this.access.friends.has(userId) && !this.access.blockedBy.has(userId);
  }

  /** The user is no longer in the room: nothing more of it is sent, from now on. */
  leaveRoom(roomId: string): void {
    this.access.rooms.delete(roomId);
  }

  /** Whether an event `actorId` caused in `roomId` may reach me: nothing in a direct room from someone who blocked me. */
  private allowed(roomId: string, actorId: string | null): boolean {
    const type = this.access.rooms.get(roomId);
    if (!type) return false;
    return !(type === "direct" && actorId !== null && this.access.blockedBy.has(actorId));
  }

  /** Typing in one of my rooms (not mine). */
  typing(roomId: string, userId: string, typing: boolean): void {
    if (userId === this.userId || !this.allowed(roomId, userId)) return;
    this.send(sseFrame({ type: "typing", data: { room_id: roomId, user_id: userId, typing } }));
  }

  /** Journal rows in order; those at or before the cursor are skipped. */
  rows(rows: JournalRow[]): void {
    const fresh = rows.filter((r) => compareCursors(r.cursor, this.cursor) > 0);
    if (fresh.length === 0) return;
    this.queued += fresh.length;
    if (this.queued > this.limits.maxQueuedRows) {
      this.close("slow_reader");
      return;
    }
    // Cursor moves now, so a later batch that overlaps this one is not queued twice.
    this.cursor = (fresh[fresh.length - 1] as JournalRow).cursor;
    // The common case, a thousand times per message: nothing waiting and nothing to look up.
    if (this.pending === 0 && !fresh.some(needsQuery)) {
      this.queued -= fresh.length;
      for (const row of fresh) if (!this.closed) this.handleAtOnce(row);
      return;
    }
    void this.enqueue(async () => {
      for (const row of fresh) {
        if (this.closed) return;
        this.queued -= 1;
        await this.handle(row);
      }
    });
  }

  /** Run `work` after everything queued before it; a failure closes the stream (the client resumes). */
  enqueue(work: () => Promise<void>): Promise<void> {
    this.pending += 1;
    this.queue = this.queue
      .then(work)
      .catch(() => this.close("error"))
      .finally(() => {
        this.pending -= 1;
      });
    return this.queue;
  }

  private async handle(row: JournalRow): Promise<void> {
    const { roomId } = row;
    if (row.userId !== null && row.userId !== this.userId) return;
    if (row.kind !== "room.added" && row.kind !== "room.updated") return this.handleAtOnce(row);
    if (!roomId) return;
    const room = await findRoom(this.db, this.userId, roomId);
    if (!room?.is_member) return;
    this.access.rooms.set(roomId, room.type);
    const { is_member: _, ...data } = room;
    this.send(sseFrame({ type: row.kind, data }, row.cursor));
  }

  /** A row whose event is its payload: decided and sent now, no query. */
  private handleAtOnce(row: JournalRow): void {
    const { roomId } = row;
    if (row.userId !== null && row.userId !== this.userId) return;
    switch (row.kind) {
      case "room.added":
      case "room.updated":
        throw new Error(`${row.kind} needs the room as its reader sees it`);
      case "room.removed":
        if (!roomId) return;
        this.access.rooms.delete(roomId);
        this.send(sseFrame({ type: row.kind, data: row.payload as never }, row.cursor));
        return;
      case "friend_request.received":
      case "friend_request.updated":
        this.send(sharedFrame(row));
        return;
      case "message.created":
      case "message.updated":
      case "message.deleted":
      case "reaction.added":
      case "reaction.removed":
      case "receipt.updated":
        if (!roomId || !this.allowed(roomId, row.actorId)) return;
        this.send(sharedFrame(row));
        return;
      default:
        assertNever(row.kind);
    }
  }

  /** Write a frame; a reader that lets more than the bound pile up unsent is cut off. */
  send(frame: string): void {
    if (this.closed) return;
    if (this.sink.write(frame) > this.limits.maxBufferedBytes) this.close("slow_reader");
  }

  /** Resolves once everything sent so far has left (or the stream closed). */
  async drained(): Promise<void> {
    await this.queue;
    if (!this.closed) await this.sink.drained();
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.sink.close();
    this.onClose(this, reason);
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled journal kind: ${String(value)}`);
}
