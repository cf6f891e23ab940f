import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { roomEventDrafts } from "../../server/events/room-events.ts";
import { collectTouched, emptyTouched, type Touched } from "../../server/sync/touched.ts";
import { newId } from "../../shared/ids.ts";
import {
  addReaction,
  assignSequenceNumbers,
  deleteMessage,
  editMessage,
  initRoomDoc,
  markRead,
  removeReaction,
  sendMessage,
} from "../../shared/room-doc/index.ts";

const roomId = newId();
const ana = newId();
const ben = newId();

/** Run `change` and sequence what it made, as RoomWriter does, recording what both touched. */
function touchedBy(doc: Y.Doc, change: () => void): Touched {
  const touched = emptyTouched();
  const collect = (tr: Y.Transaction) => collectTouched(doc, tr, touched);
  doc.on("afterTransaction", collect);
  try {
    doc.transact(change);
    doc.transact(() => assignSequenceNumbers(doc, undefined, [...touched.messageIds]));
  } finally {
    doc.off("afterTransaction", collect);
  }
  return touched;
}

const kinds = (doc: Y.Doc, touched: Touched) => roomEventDrafts(doc, roomId, touched, null).map((d) => d.kind);

describe("the journal events of a room change", () => {
  it("names a message created once it is sequenced, then its edit and its deletion", () => {
    const doc = new Y.Doc();
    initRoomDoc(doc);
    let id = "";
    const created = touchedBy(doc, () => {
      id = sendMessage(doc, { sender_id: ana, content: "5k at 7?" }).id;
    });
    const [draft] = roomEventDrafts(doc, roomId, created, null);
    expect(draft).toMatchObject({
      kind: "message.created",
      roomId,
      actorId: ana,
      payload: { id, seq: 1, content: "5k at 7?", is_deleted: false },
    });
    expect(
      kinds(
        doc,
        touchedBy(doc, () => editMessage(doc, { message_id: id, actor_id: ana, content: "5k at 7:30?" })),
      ),
    ).toEqual(["message.updated"]);
    const deleted = roomEventDrafts(
      doc,
      roomId,
      touchedBy(doc, () => deleteMessage(doc, { message_id: id, actor_id: ana })),
      null,
    );
    expect(deleted.map((d) => [d.kind, d.payload.content])).toEqual([["message.deleted", null]]);
  });

  it("names reactions added and removed, and a read marker that moved", () => {
    const doc = new Y.Doc();
    initRoomDoc(doc);
    let id = "";
    touchedBy(doc, () => {
      id = sendMessage(doc, { sender_id: ana, content: "PR today" }).id;
    });
    const added = roomEventDrafts(
      doc,
      roomId,
      touchedBy(doc, () => addReaction(doc, { message_id: id, user_id: ben, emoji: "💪" })),
      null,
    );
    expect(added).toEqual([
      {
        roomId,
        userId: null,
        actorId: ben,
        kind: "reaction.added",
        payload: { room_id: roomId, message_id: id, emoji: "💪", user_id: ben },
      },
    ]);
    expect(
      kinds(
        doc,
        touchedBy(doc, () => removeReaction(doc, { message_id: id, user_id: ben, emoji: "💪" })),
      ),
    ).toEqual(["reaction.removed"]);
    const read = roomEventDrafts(
      doc,
      roomId,
      touchedBy(doc, () => markRead(doc, { user_id: ben, message_id: id })),
      null,
    );
    expect(read).toMatchObject([{ kind: "receipt.updated", actorId: ben, payload: { user_id: ben, message_id: id, seq: 1 } }]);
  });

  it("writes nothing for an update the document already has (a reconnect's replay)", () => {
    const source = new Y.Doc();
    initRoomDoc(source);
    touchedBy(source, () => {
      const { id } = sendMessage(source, { sender_id: ana, content: "hello" });
      addReaction(source, { message_id: id, user_id: ben, emoji: "👍" });
    });
    const server = new Y.Doc();
    const everything = Y.encodeStateAsUpdate(source);
    Y.applyUpdate(server, everything);
    const replay = emptyTouched();
    server.on("afterTransaction", (tr: Y.Transaction) => collectTouched(server, tr, replay));
    Y.applyUpdate(server, everything);
    expect(roomEventDrafts(server, roomId, replay, null)).toEqual([]);
  });
});
