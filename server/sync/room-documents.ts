import type { Hocuspocus } from "@hocuspocus/server";
import type * as Y from "yjs";
import { roomSegmentName } from "../../shared/document-names.ts";
import { RoomDocError } from "../../shared/room-doc/index.ts";
import type { Queryable } from "../db/database.ts";
import { type RoomCommandInput, type RoomCommandName, type RoomCommandResult, runRoomCommand } from "../rooms/room-commands.ts";
import { messageHolder, segmentHolding } from "../rooms/segments.ts";
import { durabilityFor } from "./durability.ts";
import type { LoadedRooms } from "./loaded-room.ts";
import type { RoomReplication } from "./room-replication.ts";
import type { RoomWriter, WriteAuthor } from "./room-writer.ts";

// A new message that meets a segment sealed since its live segment was read tries the next one
// once the seal is stored; a room seals once per SEGMENT_MESSAGES messages, so misses are rare.
const SEAL_RETRIES = 10;

/**
 * REST's way into the same room documents the WebSocket clients edit: it opens the live document
 * (loading it if no one has it open), reads it or changes it through the RoomWriter, and leaves
 * it warm for the next request. A change is a named room command, so that with several processes
 * it runs on the one that sequences the room. Each command goes to the room's document that
 * holds what it changes (docs/architecture.md "Long-lived rooms"): new messages to the live
 * segment, changes of a message to the segment that holds it, read markers to the head.
 */
export class RoomDocuments {
  constructor(
    private readonly hocuspocus: Hocuspocus,
    private readonly writer: RoomWriter,
    private readonly rooms: LoadedRooms,
    private readonly replication: RoomReplication | null,
    private readonly db: Queryable,
  ) {}

  /** Read segment `segment` (the head by default) of a room, as stored. */
  async read<T>(roomId: string, read: (doc: Y.Doc) => T, segment = 0): Promise<T> {
    const connection = await this.hocuspocus.openDirectConnection(roomSegmentName(roomId, segment), {});
    try {
      if (!connection.document) throw new Error("direct connection has no document");
      // Read only what is stored: accepted changes still being committed wait (at most one commit).
      await durabilityFor(connection.document).whenSettled();
      return read(connection.document);
    } finally {
      await connection.disconnect({ unloadImmediately: false });
    }
  }

  /** Run the room command `name` durably (see RoomWriter); resolves with its result once it is stored. */
  async write<K extends RoomCommandName>(
    roomId: string,
    author: WriteAuthor,
    name: K,
    input: RoomCommandInput<K>,
  ): Promise<RoomCommandResult<K>> {
    if (name === "send") {
      // Idempotent across the room, not only within one document: a retry of a message stored in a
      // segment sealed since is the same message, not a new one.
      const { id } = input as RoomCommandInput<"send">;
      if (id !== undefined && (await messageHolder(this.db, roomId, id))) return { id, created: false } as RoomCommandResult<K>;
    }
    if (name === "send" || name === "system_messages") {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.writeIn(roomId, await this.liveSegment(roomId), author, name, input);
        } catch (error) {
          if (!(error instanceof RoomDocError && error.code === "segment_sealed") || attempt >= SEAL_RETRIES) throw error;
        }
      }
    }
    if (name === "mark_read") {
      // The head holds every marker; a message of a later segment is named by its number.
      const { message_id, user_id } = input as RoomCommandInput<"mark_read">;
      const held = (await messageHolder(this.db, roomId, message_id)) ?? { segment: 0, seq: null };
      if (held.segment > 0) {
        if (held.seq === null) throw new RoomDocError("message_not_accepted", "The message is not accepted by the server yet.");
        const moved = await this.writeIn(roomId, 0, author, "mark_read_at", { user_id, message_id, seq: held.seq });
        return moved as RoomCommandResult<K>;
      }
      return this.writeIn(roomId, 0, author, name, input);
    }
    const messageId = (input as { message_id?: string }).message_id;
    const segment = messageId === undefined ? 0 : await segmentHolding(this.db, roomId, messageId);
    return this.writeIn(roomId, segment, author, name, input);
  }

  private async writeIn<K extends RoomCommandName>(
    roomId: string,
    segment: number,
    author: WriteAuthor,
    name: K,
    input: RoomCommandInput<K>,
  ): Promise<RoomCommandResult<K>> {
    const connection = await this.hocuspocus.openDirectConnection(roomSegmentName(roomId, segment), {});
    try {
      const { document } = connection;
      if (!document) throw new Error("direct connection has no document");
      const room = this.rooms.get(document.name, document);
      try {
        if (this.replication && room) return await this.replication.forwardChange(room, author, { name, input });
        return await this.writer.commit(document, author, (doc) => runRoomCommand(doc, { name, input }));
      } catch (error) {
        // Sealed in memory, the segment's seal moves the room's live segment when its commit
        // lands: wait for that before the caller reads where new messages go now.
        if (error instanceof RoomDocError && error.code === "segment_sealed") await durabilityFor(document).whenSettled();
        throw error;
      }
    } finally {
      await connection.disconnect({ unloadImmediately: false });
    }
  }

  /** Where the room's new messages go now. */
  async liveSegment(roomId: string): Promise<number> {
    const { rows } = await this.db.query<{ live_segment: number }>("SELECT live_segment FROM chat_rooms WHERE id = $1", [roomId]);
    return rows[0]?.live_segment ?? 0;
  }
}
