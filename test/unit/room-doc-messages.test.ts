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
  listMessages,
  ROOM_DOC_SCHEMA_VERSION,
  roomMaps,
  type SendInput,
  sendMessage,
  storedMessageSchema,
} from "../../shared/room-doc/index.ts";
import { refusal, room, updatesOf } from "../helpers/room-doc-fixtures.ts";

const ana = newId();
const ben = newId();

function send(doc: Y.Doc, sender: string, content: string | null, extra: Partial<SendInput> = {}): string {
  return sendMessage(doc, { id: newId(), sender_id: sender, content, ...extra }).id;
}

describe("initRoomDoc", () => {
  it("stamps schemaVersion 1 once; initialising again makes no update", () => {
    const doc = new Y.Doc();
    expect(updatesOf(doc, () => initRoomDoc(doc))).toBe(1);
    expect(doc.getMap("meta").get("schemaVersion")).toBe(ROOM_DOC_SCHEMA_VERSION);
    expect(ROOM_DOC_SCHEMA_VERSION).toBe(1);
    expect(updatesOf(doc, () => initRoomDoc(doc))).toBe(0);
  });
});

describe("sendMessage", () => {
  it("stores a message as a nested map holding every schema key (attachments only when it has some), in one update", () => {
    const doc = room();
    let id = "";
    expect(updatesOf(doc, () => (id = send(doc, ana, "hi")))).toBe(1);
    const map = doc.getMap("messages").get(id);
    expect(map).toBeInstanceOf(Y.Map);
    const stored = (map as Y.Map<unknown>).toJSON();
    const keys = Object.keys(storedMessageSchema.shape).filter((key) => key !== "attachments");
    expect(Object.keys(stored).sort()).toEqual(keys.sort());
    expect(storedMessageSchema.parse({ ...stored, attachments: [] })).toEqual({ ...stored, attachments: [] });
    expect(stored).toMatchObject({ id, sender_id: ana, type: "text", content: "hi", deleted: false, edited_at: null });
  });

  it("stores media urls as a plain JSON array value", () => {
    const doc = room();
    const id = send(doc, ana, null, { type: "image", media_urls: ["https://cdn.example/a.jpg"] });
    const media = (doc.getMap("messages").get(id) as Y.Map<unknown>).get("media_urls");
    expect(Array.isArray(media)).toBe(true);
    expect(media).toEqual(["https://cdn.example/a.jpg"]);
  });

  it("an observer sees a new message whole the moment it appears", () => {
    const doc = room();
    const seen: unknown[] = [];
    roomMaps(doc).messages.observe((event) => {
      for (const key of event.keysChanged) seen.push(roomMaps(doc).messages.get(key)?.toJSON());
    });
    const id = send(doc, ana, "whole");
    expect(seen).toHaveLength(1);
    expect(Object.keys(seen[0] as object)).toHaveLength(Object.keys(storedMessageSchema.shape).length - 1);
    expect(seen[0]).toMatchObject({ id, content: "whole" });
  });

  it("a retried send is stored once, keeping the first write", () => {
    const doc = room();
    const id = newId();
    expect(sendMessage(doc, { id, sender_id: ana, content: "hi" })).toEqual({ id, created: true });
    let again: unknown;
    expect(updatesOf(doc, () => (again = sendMessage(doc, { id, sender_id: ana, content: "hi (retry)" })))).toBe(0);
    expect(again).toEqual({ id, created: false });
    expect(listMessages(doc).map((m) => [m.id, m.content])).toEqual([[id, "hi"]]);
  });

  it("the same send replayed on two replicas merges into one message", () => {
    const input = { id: newId(), sender_id: ana, content: "once", created_at: "2026-03-01T10:00:00.000Z" };
    const phone = room();
    const server = room();
    sendMessage(phone, input);
    sendMessage(server, input);
    Y.applyUpdate(server, Y.encodeStateAsUpdate(phone));
    Y.applyUpdate(phone, Y.encodeStateAsUpdate(server));
    expect(listMessages(phone)).toEqual(listMessages(server));
    expect(listMessages(phone).map((m) => m.id)).toEqual([input.id]);
  });

  it("makes a UUIDv7 id and a created_at of now when the sender gives none", () => {
    const doc = room();
    const before = new Date().toISOString();
    const { id, created } = sendMessage(doc, { sender_id: ana, content: "hi" });
    expect(created).toBe(true);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const m = getMessage(doc, id);
    expect(m?.type).toBe("text");
    expect(m && m.created_at >= before && m.created_at <= new Date().toISOString()).toBe(true);
  });

  it("keeps image, file, location and system messages with their fields", () => {
    const doc = room();
    send(doc, ana, "look", { type: "image", media_urls: ["https://cdn.example/a.jpg"] });
    send(doc, ana, null, { type: "file", media_urls: ["https://cdn.example/plan.pdf"] });
    send(doc, ana, null, { type: "location", location: { latitude: 52.5, longitude: 13.4, label: "Gym" } });
    send(doc, ana, "Ana added Ben", { type: "system", system_event: { kind: "member_added", actor_id: ana, target_id: ben } });
    const listed = listMessages(doc);
    expect(listed.map((m) => m.type).sort()).toEqual(["file", "image", "location", "system"]);
    expect(listed.find((m) => m.type === "location")?.location).toEqual({ latitude: 52.5, longitude: 13.4, label: "Gym" });
    expect(listed.find((m) => m.type === "system")?.system_event).toEqual({ kind: "member_added", actor_id: ana, target_id: ben });
  });

  it("refuses a message that breaks the schema or its type's needs, writing nothing", () => {
    const doc = room();
    const bad: Array<Partial<SendInput>> = [
      { content: "" },
      { content: "   " },
      { content: null },
      { type: "image", media_urls: [] },
      { type: "file" },
      { type: "location", content: "here" },
      { type: "location", location: { latitude: 91, longitude: 0 } },
      { type: "location", location: { latitude: 0, longitude: 0, label: "x".repeat(201) } },
      { type: "image", media_urls: Array.from({ length: 11 }, (_, i) => `https://cdn.example/${i}.jpg`) },
      { type: "image", media_urls: [`https://cdn.example/${"x".repeat(2048)}`] },
      { id: crypto.randomUUID() }, // a v4 id: ids must be UUIDv7
      { id: "not-an-id" },
      { sender_id: "ana" },
      { created_at: "yesterday" },
      { system_event: { kind: "member_added", actor_id: ana } },
      { type: "system", content: "no event" },
      { type: "video" as never },
    ];
    for (const extra of bad) {
      expect({ extra, code: refusal(() => send(doc, ana, "ok", extra)) }).toEqual({ extra, code: "invalid_message" });
    }
    expect(updatesOf(doc, () => refusal(() => send(doc, ana, "", {})))).toBe(0);
    expect(listMessages(doc)).toEqual([]);
  });

  it("refuses NUL and lone surrogates in any text as invalid_text, writing nothing, and in edits and reactions too", () => {
    const doc = room();
    const kept = send(doc, ana, "kept");
    for (const bad of ["a\u0000b", "half \uD83D of an emoji", "\uDC00"]) {
      const attempts: Array<() => unknown> = [
        () => send(doc, ana, bad),
        () => send(doc, ana, "ok", { type: "location", location: { latitude: 0, longitude: 0, label: bad } }),
        () => send(doc, ana, "ok", { type: "image", media_urls: [`https://cdn.example/${bad}`] }),
        () => editMessage(doc, { message_id: kept, actor_id: ana, content: bad }),
        () => addReaction(doc, { message_id: kept, user_id: ana, emoji: bad }),
      ];
      for (const attempt of attempts) expect(updatesOf(doc, () => refusal(attempt))).toBe(0);
      expect(attempts.map(refusal)).toEqual(attempts.map(() => "invalid_text"));
    }
    expect(listMessages(doc).map((m) => m.content)).toEqual(["kept"]);
  });

  it("refuses text over 4000 characters as content_too_long", () => {
    const doc = room();
    expect(refusal(() => send(doc, ana, "x".repeat(4001)))).toBe("content_too_long");
    expect(refusal(() => send(doc, ana, "x".repeat(4000)))).toBe("no error");
  });

  it("a reply must point at a message in the room", () => {
    const doc = room();
    expect(refusal(() => send(doc, ben, "re", { reply_to_id: newId() }))).toBe("reply_target_missing");
    const question = send(doc, ana, "squat or deadlift?");
    const answer = send(doc, ben, "deadlift", { reply_to_id: question });
    expect(getMessage(doc, answer)?.reply_to_id).toBe(question);
  });

  it("passes the transaction origin through", () => {
    const doc = room();
    const origins: unknown[] = [];
    doc.on("afterTransaction", (tr: Y.Transaction) => origins.push(tr.origin));
    const origin = { source: "rest" };
    send(doc, ana, "hi", {});
    sendMessage(doc, { sender_id: ana, content: "with origin" }, origin);
    expect(origins).toEqual([null, origin]);
  });
});

describe("editMessage", () => {
  it("sets content and edited_at", () => {
    const doc = room();
    const id = send(doc, ana, "typo");
    editMessage(doc, { message_id: id, actor_id: ana, content: "fixed", edited_at: "2026-01-01T00:00:00.000Z" });
    expect(getMessage(doc, id)).toMatchObject({ content: "fixed", edited_at: "2026-01-01T00:00:00.000Z" });
  });

  it("only the sender may edit", () => {
    const doc = room();
    const id = send(doc, ana, "mine");
    expect(refusal(() => editMessage(doc, { message_id: id, actor_id: ben, content: "mine now" }))).toBe("not_message_owner");
    expect(getMessage(doc, id)?.content).toBe("mine");
  });

  it("a deleted message cannot be edited", () => {
    const doc = room();
    const id = send(doc, ana, "gone");
    deleteMessage(doc, { message_id: id, actor_id: ana });
    expect(refusal(() => editMessage(doc, { message_id: id, actor_id: ana, content: "back" }))).toBe("message_deleted");
  });

  it("nobody edits a system message, not even its actor", () => {
    const doc = room();
    const id = send(doc, ana, "Ana joined", { type: "system", system_event: { kind: "member_joined", actor_id: ana } });
    expect(refusal(() => editMessage(doc, { message_id: id, actor_id: ana, content: "Ana is great" }))).toBe("not_message_owner");
  });

  it("an edit keeps a text message non-empty and within the limit", () => {
    const doc = room();
    const id = send(doc, ana, "hi");
    expect(refusal(() => editMessage(doc, { message_id: id, actor_id: ana, content: " " }))).toBe("invalid_message");
    expect(refusal(() => editMessage(doc, { message_id: id, actor_id: ana, content: "x".repeat(4001) }))).toBe("content_too_long");
    expect(refusal(() => editMessage(doc, { message_id: id, actor_id: ana, content: "ok", edited_at: "now" }))).toBe("invalid_message");
  });

  it("editing an unknown message is message_not_found", () => {
    const doc = room();
    expect(refusal(() => editMessage(doc, { message_id: newId(), actor_id: ana, content: "?" }))).toBe("message_not_found");
  });
});

describe("deleteMessage", () => {
  it("the sender may delete: content, media, location and reactions go, the line stays", () => {
    const doc = room();
    const id = send(doc, ana, "look", { type: "image", media_urls: ["https://cdn.example/a.jpg"] });
    assignSequenceNumbers(doc);
    addReaction(doc, { message_id: id, user_id: ben, emoji: "👍" });
    deleteMessage(doc, { message_id: id, actor_id: ana, deleted_at: "2026-02-02T00:00:00.000Z" });
    expect(getMessage(doc, id)).toMatchObject({
      deleted: true,
      content: null,
      media_urls: [],
      location: null,
      seq: 1,
      edited_at: "2026-02-02T00:00:00.000Z",
    });
    expect(getMessage(doc, id)?.reactions).toEqual({});
    expect(roomMaps(doc).reactions.size).toBe(0);
    const raw = (roomMaps(doc).messages.get(id) as Y.Map<unknown>).toJSON();
    expect(raw).toMatchObject({ deleted: true, content: null, media_urls: [], location: null });
  });

  it("another member may not delete; a moderator (room or server admin) may", () => {
    const doc = room();
    const id = send(doc, ana, "oops");
    expect(refusal(() => deleteMessage(doc, { message_id: id, actor_id: ben }))).toBe("not_message_owner");
    expect(refusal(() => deleteMessage(doc, { message_id: id, actor_id: ben, may_moderate: false }))).toBe("not_message_owner");
    deleteMessage(doc, { message_id: id, actor_id: ben, may_moderate: true });
    expect(getMessage(doc, id)?.deleted).toBe(true);
  });

  it("deleting twice is a no-op", () => {
    const doc = room();
    const id = send(doc, ana, "oops");
    deleteMessage(doc, { message_id: id, actor_id: ana });
    expect(updatesOf(doc, () => deleteMessage(doc, { message_id: id, actor_id: ana }))).toBe(0);
    expect(refusal(() => deleteMessage(doc, { message_id: id, actor_id: ana }))).toBe("no error");
  });

  it("deleting an unknown message is message_not_found", () => {
    const doc = room();
    expect(refusal(() => deleteMessage(doc, { message_id: newId(), actor_id: ana }))).toBe("message_not_found");
  });
});
