import * as Y from "yjs";
import { initRoomDoc, RoomDocError } from "../../shared/room-doc/index.ts";

/** A new room document, stamped with its schema version as the server does on first load. */
export function room(): Y.Doc {
  const doc = new Y.Doc();
  initRoomDoc(doc);
  return doc;
}

/** The RoomDocError code `fn` throws, or what it did instead. */
export function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return error instanceof RoomDocError ? error.code : `not a RoomDocError: ${String(error)}`;
  }
  return "no error";
}

/** How many updates `fn` makes to `doc` (it rethrows what `fn` throws). */
export function updatesOf(doc: Y.Doc, fn: () => unknown): number {
  let updates = 0;
  const count = () => updates++;
  doc.on("update", count);
  try {
    fn();
  } finally {
    doc.off("update", count);
  }
  return updates;
}
