import type { Hocuspocus } from "@hocuspocus/server";
import type * as Y from "yjs";
import { roomDocumentName } from "../../shared/document-names.ts";
import { type RoomCommandInput, type RoomCommandName, type RoomCommandResult, runRoomCommand } from "../rooms/room-commands.ts";
import { durabilityFor } from "./durability.ts";
import type { LoadedRooms } from "./loaded-room.ts";
import type { RoomReplication } from "./room-replication.ts";
import type { RoomWriter, WriteAuthor } from "./room-writer.ts";

/**
 * REST's way into the same room documents the WebSocket clients edit: it opens the live document
 * (loading it if no one has it open), reads it or changes it through the RoomWriter, and leaves
 * it warm for the next request. A change is a named room command, so that with several processes
 * it runs on the one that sequences the room.
 */
export class RoomDocuments {
  constructor(
    private readonly hocuspocus: Hocuspocus,
    private readonly writer: RoomWriter,
    private readonly rooms: LoadedRooms,
    private readonly replication: RoomReplication | null,
  ) {}

  async read<T>(roomId: string, read: (doc: Y.Doc) => T): Promise<T> {
    const connection = await this.hocuspocus.openDirectConnection(roomDocumentName(roomId), {});
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
    const connection = await this.hocuspocus.openDirectConnection(roomDocumentName(roomId), {});
    try {
      const { document } = connection;
      if (!document) throw new Error("direct connection has no document");
      const room = this.rooms.get(document.name, document);
      if (this.replication && room) return await this.replication.forwardChange(room, author, { name, input });
      return await this.writer.commit(document, author, (doc) => runRoomCommand(doc, { name, input }));
    } finally {
      await connection.disconnect({ unloadImmediately: false });
    }
  }
}
