import { describe, expect, it } from "vitest";
import type * as Y from "yjs";
import { newId } from "../../shared/ids.ts";
import { assignSequenceNumbers, deleteMessage, markRead, readBy, roomMaps, sendMessage, unreadCount } from "../../shared/room-doc/index.ts";
import { refusal, room } from "../helpers/room-doc-fixtures.ts";

const ana = newId();
const ben = newId();
const cem = newId();

const say = (doc: Y.Doc, sender: string, content: string) => sendMessage(doc, { sender_id: sender, content }).id;

describe("markRead", () => {
  it("records the message, its seq and the time under the user's id", () => {
    const doc = room();
    const id = say(doc, ana, "one");
    assignSequenceNumbers(doc);
    expect(markRead(doc, { user_id: ben, message_id: id, read_at: "2026-01-01T00:00:00.000Z" })).toBe(true);
    expect(roomMaps(doc).receipts.toJSON()).toEqual({ [ben]: { message_id: id, seq: 1, read_at: "2026-01-01T00:00:00.000Z" } });
  });

  it("a read receipt never moves backwards", () => {
    const doc = room();
    const first = say(doc, ana, "one");
    const second = say(doc, ana, "two");
    assignSequenceNumbers(doc);
    expect(markRead(doc, { user_id: ben, message_id: second })).toBe(true);
    let updates = 0;
    doc.on("update", () => updates++);
    expect(markRead(doc, { user_id: ben, message_id: first })).toBe(false);
    expect(markRead(doc, { user_id: ben, message_id: second })).toBe(false);
    expect(updates).toBe(0);
    expect(roomMaps(doc).receipts.get(ben)).toMatchObject({ message_id: second, seq: 2 });
  });

  it("a message the server has not accepted cannot be marked read", () => {
    const doc = room();
    const id = say(doc, ana, "pending");
    expect(refusal(() => markRead(doc, { user_id: ben, message_id: id }))).toBe("message_not_accepted");
    expect(refusal(() => markRead(doc, { user_id: ben, message_id: newId() }))).toBe("message_not_found");
  });

  it("refuses a non-uuid user or a time that is not ISO-8601", () => {
    const doc = room();
    const id = say(doc, ana, "one");
    assignSequenceNumbers(doc);
    expect(refusal(() => markRead(doc, { user_id: "ben", message_id: id }))).toBe("invalid_message");
    expect(refusal(() => markRead(doc, { user_id: ben, message_id: id, read_at: "later" }))).toBe("invalid_message");
  });
});

describe("unreadCount", () => {
  it("counts accepted messages after the user's marker that others sent", () => {
    const doc = room();
    const first = say(doc, ana, "one");
    say(doc, ana, "two");
    say(doc, ben, "mine never count for me");
    assignSequenceNumbers(doc);
    expect(unreadCount(doc, ben)).toBe(2);
    expect(unreadCount(doc, ana)).toBe(1);
    markRead(doc, { user_id: ben, message_id: first });
    expect(unreadCount(doc, ben)).toBe(1);
  });

  it("skips deleted and system messages, and messages not accepted yet", () => {
    const doc = room();
    const gone = say(doc, ana, "gone");
    sendMessage(doc, { sender_id: ana, type: "system", content: "Ana added Ben", system_event: { kind: "member_added", actor_id: ana } });
    assignSequenceNumbers(doc);
    deleteMessage(doc, { message_id: gone, actor_id: ana });
    say(doc, ana, "not accepted yet");
    expect(unreadCount(doc, ben)).toBe(0);
  });
});

describe("readBy", () => {
  it("lists users whose marker is at or past the message, not its sender, by user id", () => {
    const doc = room();
    const first = say(doc, ana, "one");
    const second = say(doc, ana, "two");
    assignSequenceNumbers(doc);
    markRead(doc, { user_id: ben, message_id: second, read_at: "2026-01-01T00:00:00.000Z" });
    markRead(doc, { user_id: cem, message_id: first, read_at: "2026-01-02T00:00:00.000Z" });
    markRead(doc, { user_id: ana, message_id: second });
    expect(readBy(doc, first)).toEqual(
      [
        { user_id: ben, read_at: "2026-01-01T00:00:00.000Z" },
        { user_id: cem, read_at: "2026-01-02T00:00:00.000Z" },
      ].sort((a, b) => (a.user_id < b.user_id ? -1 : 1)),
    );
    expect(readBy(doc, second)).toEqual([{ user_id: ben, read_at: "2026-01-01T00:00:00.000Z" }]);
  });

  it("is empty for a message not accepted yet", () => {
    const doc = room();
    const id = say(doc, ana, "pending");
    expect(readBy(doc, id)).toEqual([]);
  });
});
