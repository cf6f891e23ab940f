import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { newId } from "../../shared/ids.ts";
import {
  addReaction,
  deleteMessage,
  getMessage,
  initRoomDoc,
  parseReactionKey,
  reactionKey,
  removeReaction,
  roomMaps,
  sendMessage,
} from "../../shared/room-doc/index.ts";
import { refusal, updatesOf } from "../helpers/room-doc-fixtures.ts";

const ana = newId();
const ben = newId();

function roomWithMessage(): { doc: Y.Doc; id: string } {
  const doc = new Y.Doc();
  initRoomDoc(doc);
  return { doc, id: sendMessage(doc, { sender_id: ana, content: "PR today" }).id };
}

describe("reactions", () => {
  it("a reaction is stored under messageId|emoji|userId with the time it was added", () => {
    const { doc, id } = roomWithMessage();
    addReaction(doc, { message_id: id, user_id: ben, emoji: "💪", at: "2026-01-01T00:00:00.000Z" });
    expect(roomMaps(doc).reactions.toJSON()).toEqual({ [`${id}|💪|${ben}`]: "2026-01-01T00:00:00.000Z" });
    expect(reactionKey(id, "💪", ben)).toBe(`${id}|💪|${ben}`);
    expect(parseReactionKey(reactionKey(id, "💪", ben))).toEqual({ messageId: id, emoji: "💪", userId: ben });
    expect(parseReactionKey("a|b")).toBeNull();
  });

  it("adding an existing reaction is a no-op that keeps the first time", () => {
    const { doc, id } = roomWithMessage();
    addReaction(doc, { message_id: id, user_id: ben, emoji: "💪", at: "2026-01-01T00:00:00.000Z" });
    expect(updatesOf(doc, () => addReaction(doc, { message_id: id, user_id: ben, emoji: "💪", at: "2026-06-06T00:00:00.000Z" }))).toBe(0);
    expect(roomMaps(doc).reactions.get(reactionKey(id, "💪", ben))).toBe("2026-01-01T00:00:00.000Z");
  });

  it("reads group reactions by emoji with sorted user ids", () => {
    const { doc, id } = roomWithMessage();
    addReaction(doc, { message_id: id, user_id: ben, emoji: "🔥" });
    addReaction(doc, { message_id: id, user_id: ben, emoji: "💪" });
    addReaction(doc, { message_id: id, user_id: ana, emoji: "💪" });
    expect(getMessage(doc, id)?.reactions).toEqual({ "💪": [ana, ben].sort(), "🔥": [ben] });
    // Emoji sorted, not in the order added: replicas iterate the map in different orders.
    expect(Object.keys(getMessage(doc, id)?.reactions ?? {})).toEqual(["💪", "🔥"]);
  });

  it("removing a reaction deletes its key; removing a missing one makes no update", () => {
    const { doc, id } = roomWithMessage();
    addReaction(doc, { message_id: id, user_id: ben, emoji: "💪" });
    addReaction(doc, { message_id: id, user_id: ana, emoji: "💪" });
    removeReaction(doc, { message_id: id, user_id: ben, emoji: "💪" });
    expect(getMessage(doc, id)?.reactions).toEqual({ "💪": [ana] });
    expect(updatesOf(doc, () => removeReaction(doc, { message_id: id, user_id: ben, emoji: "💪" }))).toBe(0);
  });

  it("a deleted message takes no reactions, added or removed", () => {
    const { doc, id } = roomWithMessage();
    deleteMessage(doc, { message_id: id, actor_id: ana });
    expect(refusal(() => addReaction(doc, { message_id: id, user_id: ben, emoji: "👍" }))).toBe("message_deleted");
    expect(refusal(() => removeReaction(doc, { message_id: id, user_id: ben, emoji: "👍" }))).toBe("message_deleted");
  });

  it("refuses an empty or over-long emoji, one containing the key separator, and a non-uuid user", () => {
    const { doc, id } = roomWithMessage();
    for (const emoji of ["", "x".repeat(33), "👍|👎"]) {
      expect(refusal(() => addReaction(doc, { message_id: id, user_id: ben, emoji }))).toBe("invalid_message");
    }
    expect(refusal(() => addReaction(doc, { message_id: id, user_id: "ben|x", emoji: "👍" }))).toBe("invalid_message");
    expect(refusal(() => addReaction(doc, { message_id: id, user_id: ben, emoji: "x".repeat(32) }))).toBe("no error");
  });

  it("a reaction on an unknown message is message_not_found", () => {
    const { doc } = roomWithMessage();
    expect(refusal(() => addReaction(doc, { message_id: newId(), user_id: ben, emoji: "👍" }))).toBe("message_not_found");
    expect(refusal(() => removeReaction(doc, { message_id: newId(), user_id: ben, emoji: "👍" }))).toBe("message_not_found");
  });

  it("an emoji named like an object property is just a key", () => {
    const { doc, id } = roomWithMessage();
    addReaction(doc, { message_id: id, user_id: ben, emoji: "__proto__" });
    addReaction(doc, { message_id: id, user_id: ben, emoji: "constructor" });
    const reactions = getMessage(doc, id)?.reactions ?? {};
    expect(Object.keys(reactions).sort()).toEqual(["__proto__", "constructor"]);
    expect(Object.getOwnPropertyDescriptor(reactions, "__proto__")?.value).toEqual([ben]);
  });

  it("a reaction made offline while the message was deleted elsewhere does not show", () => {
    const { doc: a, id } = roomWithMessage();
    const b = new Y.Doc();
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    deleteMessage(a, { message_id: id, actor_id: ana });
    addReaction(b, { message_id: id, user_id: ben, emoji: "👍" });
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    expect(getMessage(a, id)?.deleted).toBe(true);
    expect(getMessage(a, id)?.reactions).toEqual({});
    expect(roomMaps(a).reactions.size).toBe(1); // the key survives the merge; reads hide it
    expect(getMessage(b, id)).toEqual(getMessage(a, id));
  });
});
