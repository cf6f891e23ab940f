import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { newId } from "../../shared/ids.ts";
import {
  addReaction,
  assignSequenceNumbers,
  deleteMessage,
  editMessage,
  getMessage,
  initRoomDoc,
  lastMessage,
  listMessages,
  markRead,
  ROOM_DOC_SCHEMA_VERSION,
  RoomDocError,
  readBy,
  removeReaction,
  roomDocToJSON,
  sendMessage,
  unreadCount,
} from "../../shared/room-doc/index.ts";

const ana = newId();
const ben = newId();

function room() {
  const doc = new Y.Doc();
  initRoomDoc(doc);
  return doc;
}

function send(doc: Y.Doc, sender: string, content: string, extra: Partial<Parameters<typeof sendMessage>[1]> = {}) {
  return sendMessage(doc, { id: newId(), sender_id: sender, content, ...extra }).id;
}

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error instanceof RoomDocError ? error.code : String(error);
  }
  return "no error";
};

describe("the room document", () => {
  it("stamps its schema version once", () => {
    const doc = room();
    initRoomDoc(doc);
    expect(roomDocToJSON(doc).schemaVersion).toBe(ROOM_DOC_SCHEMA_VERSION);
  });

  it("stores a retried send once", () => {
    const doc = room();
    const id = newId();
    expect(sendMessage(doc, { id, sender_id: ana, content: "hi" })).toEqual({ id, created: true });
    expect(sendMessage(doc, { id, sender_id: ana, content: "hi" })).toEqual({ id, created: false });
    expect(listMessages(doc)).toHaveLength(1);
  });

  it("keeps text, image, file and location messages with their fields", () => {
    const doc = room();
    send(doc, ana, "look", { type: "image", media_urls: ["https://cdn.example/a.jpg"] });
    send(doc, ana, "plan.pdf", { type: "file", media_urls: ["https://cdn.example/plan.pdf"] });
    send(doc, ana, "", { type: "location", content: null, location: { latitude: 52.5, longitude: 13.4, label: "Gym" } });
    const listed = listMessages(doc);
    expect(listed.map((m) => m.type)).toEqual(["image", "file", "location"]);
    expect(listed[2]?.location).toEqual({ latitude: 52.5, longitude: 13.4, label: "Gym" });
  });

  it("refuses messages that break the schema", () => {
    const doc = room();
    expect(codeOf(() => send(doc, ana, "   "))).toBe("invalid_message");
    expect(codeOf(() => send(doc, ana, "x", { type: "image" }))).toBe("invalid_message");
    expect(codeOf(() => send(doc, ana, "x".repeat(4001)))).toBe("content_too_long");
    expect(codeOf(() => send(doc, ana, "re", { reply_to_id: newId() }))).toBe("reply_target_missing");
    expect(listMessages(doc)).toHaveLength(0);
  });

  it("lets only the sender edit, and marks the edit", () => {
    const doc = room();
    const id = send(doc, ana, "typo");
    expect(codeOf(() => editMessage(doc, { message_id: id, actor_id: ben, content: "mine now" }))).toBe("not_message_owner");
    editMessage(doc, { message_id: id, actor_id: ana, content: "fixed", edited_at: "2026-01-01T00:00:00.000Z" });
    expect(getMessage(doc, id)).toMatchObject({ content: "fixed", edited_at: "2026-01-01T00:00:00.000Z" });
  });

  it("deletes for the sender or a moderator, clearing text and reactions", () => {
    const doc = room();
    const id = send(doc, ana, "oops");
    assignSequenceNumbers(doc);
    addReaction(doc, { message_id: id, user_id: ben, emoji: "👍" });
    expect(codeOf(() => deleteMessage(doc, { message_id: id, actor_id: ben }))).toBe("not_message_owner");
    deleteMessage(doc, { message_id: id, actor_id: ben, may_moderate: true });
    expect(getMessage(doc, id)).toMatchObject({ deleted: true, content: null, media_urls: [], reactions: {} });
    expect(codeOf(() => editMessage(doc, { message_id: id, actor_id: ana, content: "back" }))).toBe("message_deleted");
    deleteMessage(doc, { message_id: id, actor_id: ana });
    expect(lastMessage(doc)).toBeNull();
  });

  it("replies point at a message in the room", () => {
    const doc = room();
    const q = send(doc, ana, "squat or deadlift?");
    const a = send(doc, ben, "deadlift", { reply_to_id: q });
    expect(getMessage(doc, a)?.reply_to_id).toBe(q);
  });

  it("adds a reaction once per user and emoji, and removes it", () => {
    const doc = room();
    const id = send(doc, ana, "PR today");
    addReaction(doc, { message_id: id, user_id: ben, emoji: "💪" });
    addReaction(doc, { message_id: id, user_id: ben, emoji: "💪" });
    addReaction(doc, { message_id: id, user_id: ana, emoji: "💪" });
    expect(getMessage(doc, id)?.reactions).toEqual({ "💪": [ana, ben].sort() });
    removeReaction(doc, { message_id: id, user_id: ben, emoji: "💪" });
    expect(getMessage(doc, id)?.reactions).toEqual({ "💪": [ana] });
  });

  it("orders by server sequence, never by client clocks, with unsent messages last", () => {
    const doc = room();
    const late = send(doc, ana, "sent second, clock behind", { created_at: "2020-01-01T00:00:00.000Z" });
    assignSequenceNumbers(doc);
    const early = send(doc, ben, "sent first, clock ahead", { created_at: "2030-01-01T00:00:00.000Z" });
    assignSequenceNumbers(doc);
    const pending = send(doc, ana, "not yet accepted", { created_at: "2000-01-01T00:00:00.000Z" });
    expect(listMessages(doc).map((m) => m.id)).toEqual([late, early, pending]);
    expect(listMessages(doc).map((m) => m.seq)).toEqual([1, 2, null]);
  });

  it("pages backwards by sequence number", () => {
    const doc = room();
    const ids = Array.from({ length: 7 }, (_, i) => send(doc, ana, `m${i}`));
    assignSequenceNumbers(doc);
    expect(listMessages(doc, { limit: 3 }).map((m) => m.id)).toEqual(ids.slice(4));
    expect(listMessages(doc, { limit: 3, before_seq: 5 }).map((m) => m.id)).toEqual(ids.slice(1, 4));
    expect(listMessages(doc, { limit: 3, before_seq: 2 }).map((m) => m.id)).toEqual(ids.slice(0, 1));
  });

  it("assigns sequence numbers only where missing, and makes no update when there are none", () => {
    const doc = room();
    send(doc, ana, "a");
    expect(assignSequenceNumbers(doc).map((a) => a.seq)).toEqual([1]);
    let updates = 0;
    doc.on("update", () => updates++);
    expect(assignSequenceNumbers(doc)).toEqual([]);
    expect(updates).toBe(0);
  });

  it("moves a read receipt only forward and derives unread counts and 'read by'", () => {
    const doc = room();
    const first = send(doc, ana, "one");
    const second = send(doc, ana, "two");
    send(doc, ben, "mine do not count for me");
    expect(codeOf(() => markRead(doc, { user_id: ben, message_id: first }))).toBe("message_not_accepted");
    assignSequenceNumbers(doc);
    expect(unreadCount(doc, ben)).toBe(2);
    expect(markRead(doc, { user_id: ben, message_id: second })).toBe(true);
    expect(markRead(doc, { user_id: ben, message_id: first })).toBe(false);
    expect(unreadCount(doc, ben)).toBe(0);
    expect(unreadCount(doc, ana)).toBe(1);
    expect(readBy(doc, first).map((r) => r.user_id)).toEqual([ben]);
    expect(readBy(doc, second).map((r) => r.user_id)).toEqual([ben]);
  });

  it("does not count deleted or system messages as unread", () => {
    const doc = room();
    const gone = send(doc, ana, "gone");
    send(doc, ana, "Ana added Ben", { type: "system", system_event: { kind: "member_added", actor_id: ana, target_id: ben } });
    assignSequenceNumbers(doc);
    deleteMessage(doc, { message_id: gone, actor_id: ana });
    expect(unreadCount(doc, ben)).toBe(0);
  });

  it("keeps both a concurrent edit and delete: the message ends deleted everywhere", () => {
    const a = room();
    const id = send(a, ana, "draft");
    const b = new Y.Doc();
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    editMessage(a, { message_id: id, actor_id: ana, content: "edited offline" });
    deleteMessage(b, { message_id: id, actor_id: ana });
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    expect(getMessage(a, id)).toMatchObject({ deleted: true, content: null });
    expect(roomDocToJSON(a)).toEqual(roomDocToJSON(b));
  });
});
