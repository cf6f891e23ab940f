import type { Hocuspocus } from "@hocuspocus/server";
import type * as Y from "yjs";
import { roomDocumentName } from "../../shared/document-names.ts";
import { durabilityFor } from "./durability.ts";
import type { RoomWriter, WriteAuthor } from "./room-writer.ts";

/**
 * REST's way into the same room documents the WebSocket clients edit: it opens the live document
 * (loading it if no one has it open), reads it or changes it through the RoomWriter, and leaves
 * it warm for the next request.
 */
export class RoomDocuments {
  constructor(
    private readonly hocuspocus: Hocuspocus,
    private readonly writer: RoomWriter,
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

  /** Apply `mutate` durably (see RoomWriter); resolves once it is stored. */
  async write<T>(roomId: string, author: WriteAuthor, mutate: (doc: Y.Doc) => T): Promise<T> {
    const connection = await this.hocuspocus.openDirectConnection(roomDocumentName(roomId), {});
    try {
      if (!connection.document) throw new Error("direct connection has no document");
      return await this.writer.commit(connection.document, author, mutate);
    } finally {
      await connection.disconnect({ unloadImmediately: false });
    }
  }
}
