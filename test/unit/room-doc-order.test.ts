import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { newId } from "../../shared/ids.ts";
import {
  addReaction,
  assignSequenceNumbers,
  deleteMessage,
  getMessage,
  lastMessage,
  listMessages,
  markRead,
  messageIdsIn,
  nextSequenceNumber,
  roomDocToJSON,
  roomMaps,
  type SendInput,
  sendMessage,
} from "../../shared/room-doc/index.ts";
import { room } from "../helpers/room-doc-fixtures.ts";

const ana = newId();
const ben = newId();

function send(doc: Y.Doc, content: string, extra: Partial<SendInput> = {}): string {
  return sendMessage(doc, { sender_id: ana, content, ...extra }).id;
}

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 12, minute)).toISOString();

describe("assignSequenceNumbers", () => {
  it("numbers unsequenced messages from the next number, in (created_at, id) order", () => {
    const doc = room();
    const later = send(doc, "later", { created_at: at(5) });
    const earlier = send(doc, "earlier", { created_at: at(1) });
    expect(nextSequenceNumber(doc)).toBe(1);
    expect(assignSequenceNumbers(doc)).toEqual([
      { id: earlier, seq: 1 },
      { id: later, seq: 2 },
    ]);
    expect(nextSequenceNumber(doc)).toBe(3);
    const third = send(doc, "third", { created_at: at(0) });
    expect(assignSequenceNumbers(doc)).toEqual([{ id: third, seq: 3 }]);
    expect(roomMaps(doc).seq.toJSON()).toEqual({ [earlier]: 1, [later]: 2, [third]: 3 });
  });

  it("breaks a created_at tie by id", () => {
    const doc = room();
    const ids = [send(doc, "a", { created_at: at(1) }), send(doc, "b", { created_at: at(1) })].sort();
    expect(assignSequenceNumbers(doc).map((a) => a.id)).toEqual(ids);
  });

  it("never renumbers, and makes no update when nothing lacks a number", () => {
    const doc = room();
    send(doc, "a");
    assignSequenceNumbers(doc);
    let updates = 0;
    doc.on("update", () => updates++);
    expect(assignSequenceNumbers(doc)).toEqual([]);
    expect(updates).toBe(0);
  });

  it("looks only at the candidates given, and numbers a candidate named twice once", () => {
    const doc = room();
    const a = send(doc, "a", { created_at: at(1) });
    const b = send(doc, "b", { created_at: at(2) });
    expect(assignSequenceNumbers(doc, undefined, [b, b, newId()])).toEqual([{ id: b, seq: 1 }]);
    expect(assignSequenceNumbers(doc)).toEqual([{ id: a, seq: 2 }]);
  });

  it("passes the transaction origin through", () => {
    const doc = room();
    send(doc, "a");
    const origins: unknown[] = [];
    doc.on("afterTransaction", (tr: Y.Transaction) => origins.push(tr.origin));
    assignSequenceNumbers(doc, "server");
    expect(origins).toEqual(["server"]);
  });
});

describe("listMessages", () => {
  it("orders by server sequence, never by client clocks, with messages not yet accepted last", () => {
    const doc = room();
    const first = send(doc, "accepted first, clock behind", { created_at: "2020-01-01T00:00:00.000Z" });
    assignSequenceNumbers(doc);
    const second = send(doc, "accepted second, clock ahead", { created_at: "2030-01-01T00:00:00.000Z" });
    assignSequenceNumbers(doc);
    const pendingLate = send(doc, "pending, later clock", { created_at: "2001-01-01T00:00:00.000Z" });
    const pendingEarly = send(doc, "pending, earlier clock", { created_at: "2000-01-01T00:00:00.000Z" });
    expect(listMessages(doc).map((m) => m.id)).toEqual([first, second, pendingEarly, pendingLate]);
    expect(listMessages(doc).map((m) => m.seq)).toEqual([1, 2, null, null]);
  });

  it("breaks a sequence tie by id", () => {
    const doc = room();
    const ids = [send(doc, "a"), send(doc, "b")];
    // Only a buggy or second server could write the same number twice; order must still agree.
    for (const id of ids) roomMaps(doc).seq.set(id, 7);
    expect(listMessages(doc).map((m) => m.id)).toEqual([...ids].sort());
  });

  it("returns the last 50 by default and the last `limit` when asked, oldest first", () => {
    const doc = room();
    const ids = Array.from({ length: 60 }, (_, i) => send(doc, `m${i}`, { created_at: at(i) }));
    assignSequenceNumbers(doc);
    expect(listMessages(doc).map((m) => m.id)).toEqual(ids.slice(10));
    expect(listMessages(doc, { limit: 3 }).map((m) => m.id)).toEqual(ids.slice(57));
    expect(listMessages(doc, { limit: 0 })).toEqual([]);
  });

  it("pages backwards from a position", () => {
    const doc = room();
    const ids = Array.from({ length: 7 }, (_, i) => send(doc, `m${i}`, { created_at: at(i) }));
    assignSequenceNumbers(doc);
    send(doc, "pending, never in a backwards page");
    expect(listMessages(doc, { limit: 3, before: { seq: 5, id: "" } }).map((m) => m.seq)).toEqual([2, 3, 4]);
    expect(listMessages(doc, { limit: 3, before: { seq: 2, id: "" } }).map((m) => m.id)).toEqual(ids.slice(0, 1));
    expect(listMessages(doc, { limit: 3, before: { seq: 1, id: "" } })).toEqual([]);
    expect(listMessages(doc, { limit: 100, before: { seq: 100, id: "" } }).map((m) => m.id)).toEqual(ids);
  });

  it("walks every message once a page at a time, even where two share a number (numbered twice by an older release)", () => {
    const doc = room();
    const ids = Array.from({ length: 6 }, (_, i) => send(doc, `m${i}`, { created_at: at(i) }));
    for (const [i, id] of ids.entries()) roomMaps(doc).seq.set(id, [1, 2, 2, 3, 3, 3][i] as number);
    for (const limit of [1, 2, 4]) {
      const seen: string[] = [];
      let page = listMessages(doc, { limit });
      while (page.length > 0) {
        seen.unshift(...page.map((m) => m.id));
        const oldest = page[0] as (typeof page)[number];
        page = listMessages(doc, { limit, before: { seq: oldest.seq as number, id: oldest.id } });
      }
      expect(seen, `limit ${limit}`).toEqual(listMessages(doc, { limit: 100 }).map((m) => m.id));
    }
  });
});

describe("getMessage", () => {
  it("shows the stored fields with seq and reactions, or null", () => {
    const doc = room();
    const id = send(doc, "hi", { created_at: at(0) });
    expect(getMessage(doc, id)?.seq).toBeNull();
    assignSequenceNumbers(doc);
    addReaction(doc, { message_id: id, user_id: ben, emoji: "👍" });
    expect(getMessage(doc, id)).toEqual({
      id,
      sender_id: ana,
      type: "text",
      content: "hi",
      media_urls: [],
      attachments: [],
      location: null,
      reply_to_id: null,
      created_at: at(0),
      edited_at: null,
      deleted: false,
      system_event: null,
      seq: 1,
      reactions: { "👍": [ben] },
    });
    expect(getMessage(doc, newId())).toBeNull();
  });

  it("reads a malformed message written by a lax client without throwing", () => {
    const doc = room();
    const id = newId();
    roomMaps(doc).messages.set(
      id,
      new Y.Map<unknown>([
        ["type", "video"],
        ["content", 42],
        ["media_urls", ["ok", 7]],
        ["location", { latitude: "north" }],
      ]),
    );
    expect(getMessage(doc, id)).toMatchObject({ id, type: "text", content: null, media_urls: ["ok"], location: null, sender_id: "" });
    expect(listMessages(doc)).toHaveLength(1);
  });

  it("ignores values that are not message maps or markers, instead of throwing", () => {
    const doc = room();
    const good = send(doc, "fine");
    const junk = newId();
    (roomMaps(doc).messages as Y.Map<unknown>).set(junk, "not a map");
    roomMaps(doc).seq.set(junk, 1);
    roomMaps(doc).seq.set(good, "two" as never);
    (roomMaps(doc).receipts as Y.Map<unknown>).set(ben, null);
    expect(getMessage(doc, junk)).toBeNull();
    expect(messageIdsIn(doc)).toEqual(new Set([good]));
    expect(assignSequenceNumbers(doc)).toEqual([]);
    expect(roomDocToJSON(doc)).toMatchObject({ messages: [{ id: good, seq: null }], receipts: {} });
    expect(lastMessage(doc)).toBeNull();
  });
});

describe("lastMessage", () => {
  it("is the last accepted message that is not deleted", () => {
    const doc = room();
    expect(lastMessage(doc)).toBeNull();
    const first = send(doc, "first", { created_at: at(0) });
    const second = send(doc, "second", { created_at: at(1) });
    send(doc, "pending");
    expect(lastMessage(doc)).toBeNull();
    roomMaps(doc).seq.set(first, 1);
    roomMaps(doc).seq.set(second, 2);
    expect(lastMessage(doc)).toEqual({ id: second, sender_id: ana, content: "second", created_at: at(1) });
    deleteMessage(doc, { message_id: second, actor_id: ana });
    expect(lastMessage(doc)?.id).toBe(first);
  });
});

describe("messageIdsIn and roomDocToJSON", () => {
  it("messageIdsIn has every message, accepted or not", () => {
    const doc = room();
    const a = send(doc, "a");
    assignSequenceNumbers(doc);
    const b = send(doc, "b");
    expect(messageIdsIn(doc)).toEqual(new Set([a, b]));
  });

  it("roomDocToJSON shows the version, the messages in display order and the receipts", () => {
    const doc = room();
    const a = send(doc, "a", { created_at: at(0) });
    assignSequenceNumbers(doc);
    markRead(doc, { user_id: ben, message_id: a, read_at: at(1) });
    const json = roomDocToJSON(doc);
    expect(json.schemaVersion).toBe(1);
    expect(json.messages.map((m) => m.id)).toEqual([a]);
    expect(json.receipts).toEqual({ [ben]: { message_id: a, seq: 1, read_at: at(1) } });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it("roomDocToJSON has no schemaVersion before the document is stamped", () => {
    expect(roomDocToJSON(new Y.Doc())).toEqual({ schemaVersion: null, messages: [], receipts: {} });
  });
});
