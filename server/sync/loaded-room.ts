import type { Document } from "@hocuspocus/server";
import { parseDocumentName } from "../../shared/document-names.ts";
import type { RoomLease } from "../cluster/room-leases.ts";
import type { Queryable } from "../db/database.ts";
import { loadRoomFacts, type RoomFacts } from "../rooms/room-facts.ts";
import { loadBindings } from "./client-bindings.ts";
import { type Durability, durabilityFor } from "./durability.ts";

/**
 * Who numbers the room's messages: this process alone (it serves the database alone), this
 * process under a lease (several processes), or another process, whose log this copy follows
 * and to which it forwards its clients' changes (a replica).
 */
export type Sequencer = { kind: "sole" } | { kind: "owner"; lease: RoomLease } | { kind: "replica"; owner: string };

const NO_FACTS: RoomFacts = { type: "group", slowModeSeconds: 0, contentFilter: null, admins: new Set(), readOnly: false, liveSegment: 0 };

/**
 * Everything the server knows about one loaded room (STYLE 14), created when its document loads
 * and dropped when it unloads or is rewritten: which user writes with each Yjs client id, the
 * rarely changing facts the write rules need (refreshed when a cluster event says they changed,
 * so no update asks the database for them), and what is applied but not yet stored.
 */
export class LoadedRoom {
  /** Yjs client id → the user who first wrote with it (null: the server). */
  readonly bindings: Map<number, string | null>;
  readonly durability: Durability;
  sequencer: Sequencer = { kind: "sole" };
  /** The newest update-log entry this copy holds: a replica follows the log from there. */
  lastLogId = 0;

  constructor(
    readonly document: Document,
    readonly roomId: string,
    public facts: RoomFacts,
    bindings: Map<number, string | null>,
    /** Which of the room's documents this is: 0 for the head (docs/architecture.md "Long-lived rooms"). */
    readonly segment = 0,
    /** The first sequence number this segment gives (1 for the head). */
    readonly firstSeq = 1,
  ) {
    this.bindings = bindings;
    this.durability = durabilityFor(document);
  }

  /** Bind `clientIds` to `userId` in memory (their claim commits with the update that makes it). */
  remember(clientIds: number[], userId: string | null): void {
    for (const id of clientIds) this.bindings.set(id, userId);
  }
}

/** Where segment `segment` of a room starts (the segment exists: it was checked when it was opened). */
async function segmentFirstSeq(db: Queryable, roomId: string, segment: number): Promise<number> {
  const { rows } = await db.query<{ first_seq: string | number }>(
    "SELECT first_seq FROM chat_room_segments WHERE room_id = $1 AND segment = $2",
    [roomId, segment],
  );
  // Numbering a segment from anywhere else would give numbers twice.
  if (!rows[0]) throw new Error(`room ${roomId} has no segment ${segment}`);
  return Number(rows[0].first_seq);
}

/** The loaded rooms of this process, by document name. */
export class LoadedRooms {
  private readonly byName = new Map<string, LoadedRoom>();

  constructor(private readonly db: Queryable) {}

  /** Load what the server keeps about `document` (its bindings and facts) as it loads. */
  async load(document: Document): Promise<LoadedRoom | null> {
    const name = parseDocumentName(document.name);
    if (name?.kind !== "room") return null;
    const [facts, bindings, firstSeq] = await Promise.all([
      loadRoomFacts(this.db, name.roomId),
      loadBindings(this.db, document.name),
      name.segment === 0 ? 1 : segmentFirstSeq(this.db, name.roomId, name.segment),
    ]);
    const room = new LoadedRoom(document, name.roomId, facts ?? NO_FACTS, bindings, name.segment, firstSeq);
    this.byName.set(document.name, room);
    return room;
  }

  /** The loaded room of `documentName`, if this process has it and it is that document. */
  get(documentName: string, document?: Document): LoadedRoom | undefined {
    const room = this.byName.get(documentName);
    return !document || room?.document === document ? room : undefined;
  }

  /** The loaded head of the room with this room id. */
  byRoomId(roomId: string): LoadedRoom | undefined {
    return this.byName.get(`room:${roomId}`);
  }

  /** Every loaded document of the room (its head and segments). */
  ofRoom(roomId: string): LoadedRoom[] {
    return [...this.byName.values()].filter((room) => room.roomId === roomId);
  }

  /** Forget `documentName` (unloaded or rewritten); only `document`'s if given. */
  drop(documentName: string, document?: Document): void {
    if (!document || this.byName.get(documentName)?.document === document) this.byName.delete(documentName);
  }

  /** Read a room's facts again (an admin changed a setting, a role, a block). */
  async refresh(roomId: string): Promise<void> {
    const loaded = this.ofRoom(roomId);
    if (loaded.length === 0) return;
    const facts = await loadRoomFacts(this.db, roomId);
    if (facts) for (const room of loaded) room.facts = facts;
  }

  /** Every loaded room (for events that concern users rather than one room, like a block). */
  all(): Iterable<LoadedRoom> {
    return this.byName.values();
  }
}
