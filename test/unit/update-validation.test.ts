import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { newId } from "../../shared/ids.ts";
import {
  addReaction,
  assignSequenceNumbers,
  deleteMessage,
  editMessage,
  initRoomDoc,
  markRead,
  reactionKey,
  roomMaps,
  sendMessage,
} from "../../shared/room-doc/index.ts";
import { type UpdateAuthor, validateRoomUpdate } from "../../shared/update-validation/index.ts";
import { validMessageFields } from "../helpers/yjs-forgery.ts";

const ana = newId();
const ben = newId();
const admin = newId();

/** A server copy with bindings, and clients that sync with it the way the provider does. */
function setup() {
  const server = new Y.Doc();
  const bindings = new Map<number, string | null>([[server.clientID, null]]);
  initRoomDoc(server);
  const client = (user: string) => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(server));
    return { doc, user, author: { userId: user, mayModerate: user === admin } as UpdateAuthor };
  };
  /** What the client would send: everything the server lacks (SyncStep2 or a live update). */
  const pending = (c: { doc: Y.Doc }) => Y.encodeStateAsUpdate(c.doc, Y.encodeStateVector(server));
  const judge = (c: { doc: Y.Doc; author: UpdateAuthor }, update = pending(c), now?: number) =>
    validateRoomUpdate(server, update, c.author, bindings, now);
  /** Judge, and apply to the server when accepted, as the gate does. */
  const push = (c: { doc: Y.Doc; author: UpdateAuthor }) => {
    const update = pending(c);
    const verdict = judge(c, update);
    if (verdict.ok) {
      for (const id of verdict.claimedClientIds) bindings.set(id, c.author.userId);
      Y.applyUpdate(server, update);
      assignSequenceNumbers(server);
    }
    return verdict;
  };
  const pull = (c: { doc: Y.Doc }) => Y.applyUpdate(c.doc, Y.encodeStateAsUpdate(server, Y.encodeStateVector(c.doc)));
  return { server, bindings, client, judge, push, pull };
}

const codeOf = (verdict: ReturnType<typeof validateRoomUpdate>) => (verdict.ok ? "accepted" : verdict.code);

describe("update validation", () => {
  it("accepts an honest message and binds the client id to its sender", () => {
    const s = setup();
    const a = s.client(ana);
    sendMessage(a.doc, { id: newId(), sender_id: ana, content: "morning run?" });
    const verdict = s.push(a);
    expect(verdict).toMatchObject({ ok: true, changes: true, claimedClientIds: [a.doc.clientID] });
  });

  it("refuses a message in another member's name", () => {
    const s = setup();
    const a = s.client(ana);
    sendMessage(a.doc, { id: newId(), sender_id: ben, content: "I owe Ana 100€" });
    expect(codeOf(s.judge(a))).toBe("forged_author");
  });

  it("refuses writing under a client id bound to another user", () => {
    const s = setup();
    const b = s.client(ben);
    sendMessage(b.doc, { id: newId(), sender_id: ben, content: "hi" });
    s.push(b);
    // Ana's doc takes Ben's client id and runs its clock past Ben's, so her message is new there.
    const forged = new Y.Doc();
    forged.clientID = b.doc.clientID;
    const bensClock = Y.getState(s.server.store, b.doc.clientID);
    for (let i = 0; i < bensClock; i++) forged.getMap("scratch").set("tick", i);
    Y.applyUpdate(forged, Y.encodeStateAsUpdate(s.server, Y.encodeStateVector(forged)));
    sendMessage(forged, { id: newId(), sender_id: ana, content: "as ben's device" });
    expect(codeOf(s.judge({ doc: forged, author: { userId: ana, mayModerate: false } }))).toBe("forged_author");
  });

  it("lets only the sender edit; a moderator may delete but not edit", () => {
    const s = setup();
    const b = s.client(ben);
    const id = sendMessage(b.doc, { id: newId(), sender_id: ben, content: "5x5 squats" }).id;
    s.push(b);
    const a = s.client(ana);
    (roomMaps(a.doc).messages.get(id) as Y.Map<unknown>).set("content", "rewritten");
    expect(codeOf(s.judge(a))).toBe("not_permitted");

    const m = s.client(admin);
    (roomMaps(m.doc).messages.get(id) as Y.Map<unknown>).set("content", "moderated text");
    expect(codeOf(s.judge(m))).toBe("not_permitted");
    const m2 = s.client(admin);
    deleteMessage(m2.doc, { message_id: id, actor_id: admin, may_moderate: true });
    expect(codeOf(s.push(m2))).toBe("accepted");

    editMessage(b.doc, { message_id: id, actor_id: ben, content: "edited offline meanwhile" });
    expect(codeOf(s.push(b))).toBe("accepted");
  });

  it("refuses removing a message, undeleting it, and writing server-only parts", () => {
    const s = setup();
    const b = s.client(ben);
    const id = sendMessage(b.doc, { id: newId(), sender_id: ben, content: "bye" }).id;
    s.push(b);
    const remover = s.client(ben);
    roomMaps(remover.doc).messages.delete(id);
    expect(codeOf(s.judge(remover))).toBe("not_permitted");

    deleteMessage(b.doc, { message_id: id, actor_id: ben });
    s.push(b);
    s.pull(b);
    (roomMaps(b.doc).messages.get(id) as Y.Map<unknown>).set("deleted", false);
    expect(codeOf(s.judge(b))).toBe("not_permitted");

    const seq = s.client(ben);
    roomMaps(seq.doc).seq.set(id, 1);
    expect(codeOf(s.judge(seq))).toBe("not_permitted");
    const sys = s.client(ben);
    sendMessage(sys.doc, {
      id: newId(),
      sender_id: ben,
      type: "system",
      content: "Ben is now admin",
      system_event: { kind: "role_changed", actor_id: ben },
    });
    expect(codeOf(s.judge(sys))).toBe("not_permitted");
  });

  it("refuses NUL in every string an update writes, which the database could not store", () => {
    const s = setup();
    const seed = s.client(ana);
    const target = sendMessage(seed.doc, { id: newId(), sender_id: ana, content: "before" }).id;
    s.push(seed);
    s.pull(seed);
    const forged = (write: (doc: Y.Doc) => void) => {
      const c = s.client(ana);
      write(c.doc);
      return codeOf(s.judge(c));
    };
    const message = (overrides: Record<string, unknown>) => (doc: Y.Doc) => {
      const fields = validMessageFields(ana, overrides);
      roomMaps(doc).messages.set(fields.id as string, new Y.Map<unknown>(Object.entries(fields)));
    };
    // Lone surrogates cannot reach the validator: Yjs writes strings as UTF-8, which has no
    // encoding for them (the sender's encoder substitutes or throws). NUL it carries as it is.
    for (const bad of ["a\u0000b", "\u0000", "trailing\u0000"]) {
      expect(forged(message({ content: bad }))).toBe("invalid_text");
      expect(forged(message({ type: "image", content: null, media_urls: [`https://x.test/${bad}`] }))).toBe("invalid_text");
      expect(forged(message({ type: "location", content: null, location: { latitude: 1, longitude: 2, label: bad } }))).toBe(
        "invalid_text",
      );
      expect(forged((doc) => (roomMaps(doc).messages.get(target) as Y.Map<unknown>).set("content", bad))).toBe("invalid_text");
      expect(forged((doc) => roomMaps(doc).reactions.set(reactionKey(target, bad, ana), new Date().toISOString()))).toBe("invalid_text");
    }
    // Well-formed text of any script, emoji included, passes.
    expect(forged(message({ content: "Ready 🏃‍♀️ — 準備 ✓" }))).toBe("accepted");
  });

  it("refuses anything outside the schema", () => {
    const s = setup();
    const junk = s.client(ana);
    junk.doc.getMap("evil").set("x", 1);
    expect(codeOf(s.judge(junk))).toBe("schema_violation");

    const badType = s.client(ana);
    const id = newId();
    const map = new Y.Map<unknown>(
      Object.entries({ id, sender_id: ana, type: "text", content: 42, created_at: new Date().toISOString(), deleted: false }),
    );
    roomMaps(badType.doc).messages.set(id, map);
    expect(codeOf(s.judge(badType))).toBe("schema_violation");

    const v4 = s.client(ana);
    const v4id = "7d444840-9dc0-41e1-9a7c-5b2b0a6a3b9e";
    roomMaps(v4.doc).messages.set(
      v4id,
      new Y.Map<unknown>(
        Object.entries({ id: v4id, sender_id: ana, type: "text", content: "x", created_at: new Date().toISOString(), deleted: false }),
      ),
    );
    expect(codeOf(s.judge(v4))).toBe("schema_violation");

    const text = s.client(ana);
    const withText = new Y.Map<unknown>();
    const tid = newId();
    for (const [k, v] of Object.entries({ id: tid, sender_id: ana, type: "text", created_at: new Date().toISOString(), deleted: false }))
      withText.set(k, v);
    withText.set("content", new Y.Text("rich"));
    roomMaps(text.doc).messages.set(tid, withText);
    expect(codeOf(s.judge(text))).toBe("schema_violation");

    const missing = s.client(ana);
    const mid = newId();
    roomMaps(missing.doc).messages.set(mid, new Y.Map<unknown>(Object.entries({ id: mid, content: "who sent me" })));
    expect(codeOf(s.judge(missing))).toBe("schema_violation");
  });

  it("refuses content over the limits, replies to nothing and messages from the future", () => {
    const s = setup();
    const long = s.client(ana);
    const id = newId();
    roomMaps(long.doc).messages.set(
      id,
      new Y.Map<unknown>(
        Object.entries({
          id,
          sender_id: ana,
          type: "text",
          content: "x".repeat(4001),
          created_at: new Date().toISOString(),
          deleted: false,
        }),
      ),
    );
    expect(codeOf(s.judge(long))).toBe("update_too_large");
    expect(codeOf(s.judge(long, new Uint8Array(1024 * 1024 + 1)))).toBe("update_too_large");

    const reply = s.client(ana);
    const rid = newId();
    roomMaps(reply.doc).messages.set(
      rid,
      new Y.Map<unknown>(
        Object.entries({
          id: rid,
          sender_id: ana,
          type: "text",
          content: "re",
          reply_to_id: newId(),
          created_at: new Date().toISOString(),
          deleted: false,
        }),
      ),
    );
    expect(codeOf(s.judge(reply))).toBe("reply_target_missing");

    const future = s.client(ana);
    sendMessage(future.doc, {
      id: newId(),
      sender_id: ana,
      content: "from tomorrow",
      created_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(codeOf(s.judge(future))).toBe("clock_skew");
    const past = s.client(ana);
    sendMessage(past.doc, {
      id: newId(),
      sender_id: ana,
      content: "written on the plane",
      created_at: new Date(Date.now() - 86_400_000).toISOString(),
    });
    expect(codeOf(s.judge(past))).toBe("accepted");
  });

  it("refuses bytes that are not an update, whatever they are", () => {
    const s = setup();
    const a = s.client(ana);
    for (const bytes of [
      new Uint8Array([1, 2, 3]),
      new Uint8Array([255, 255, 255, 255, 255, 255, 255, 255, 255, 255]),
      crypto.getRandomValues(new Uint8Array(64)),
    ]) {
      const verdict = s.judge(a, bytes);
      expect(verdict.ok && !verdict.changes ? "harmless" : codeOf(verdict)).toMatch(/invalid_update|harmless/);
    }
    sendMessage(a.doc, { id: newId(), sender_id: ana, content: "complete" });
    const update = Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(s.server));
    expect(codeOf(s.judge(a, update.slice(0, update.length - 7)))).toBe("invalid_update");
  });

  it("only lets users set their own reactions and receipts; a stale tab's receipt is accepted and floored", () => {
    const s = setup();
    const b = s.client(ben);
    const first = sendMessage(b.doc, { id: newId(), sender_id: ben, content: "one" }).id;
    const second = sendMessage(b.doc, { id: newId(), sender_id: ben, content: "two" }).id;
    s.push(b);
    const a = s.client(ana);
    roomMaps(a.doc).reactions.set(reactionKey(first, "👍", ben), new Date().toISOString());
    expect(codeOf(s.judge(a))).toBe("not_permitted");
    const a2 = s.client(ana);
    roomMaps(a2.doc).receipts.set(ben, { message_id: second, seq: 2, read_at: new Date().toISOString() });
    expect(codeOf(s.judge(a2))).toBe("not_permitted");

    const tab1 = s.client(ana);
    const tab2 = s.client(ana);
    addReaction(tab1.doc, { message_id: first, user_id: ana, emoji: "👍" });
    markRead(tab1.doc, { user_id: ana, message_id: second });
    expect(codeOf(s.push(tab1))).toBe("accepted");
    markRead(tab2.doc, { user_id: ana, message_id: first });
    const stale = s.push(tab2);
    expect(stale).toMatchObject({ ok: true, receiptFloor: { message_id: second, seq: 2 } });
  });

  it("treats an honest reconnect carrying what the server has as a no-op", () => {
    const s = setup();
    const b = s.client(ben);
    for (let i = 0; i < 3; i++) sendMessage(b.doc, { id: newId(), sender_id: ben, content: `m${i}` });
    s.push(b);
    s.pull(b);
    const everything = Y.encodeStateAsUpdate(b.doc);
    expect(s.judge(b, everything)).toMatchObject({ ok: true, changes: false });
    const other = s.client(ana);
    expect(s.judge(other, Y.encodeStateAsUpdate(other.doc))).toMatchObject({ ok: true, changes: false });
  });

  it("accepts two tabs deleting the same message, whichever delete wins", () => {
    for (let round = 0; round < 8; round++) {
      const s = setup();
      const a = s.client(ben);
      const id = sendMessage(a.doc, { id: newId(), sender_id: ben, content: "hi" }).id;
      s.push(a);
      const b = s.client(ben);
      deleteMessage(a.doc, { message_id: id, actor_id: ben });
      deleteMessage(b.doc, { message_id: id, actor_id: ben });
      expect(codeOf(s.push(a))).toBe("accepted");
      s.pull(b);
      expect(codeOf(s.push(b))).toBe("accepted");
    }
  });

  it("tells a gap in the author's own changes (a reconnect's queued updates) from a forgery", () => {
    const s = setup();
    const a = s.client(ana);
    const b = s.client(ben);
    sendMessage(b.doc, { id: newId(), sender_id: ben, content: "ben's first" });
    s.push(b);
    s.pull(a);
    const before = Y.encodeStateVector(a.doc);
    sendMessage(a.doc, { id: newId(), sender_id: ana, content: "lost in flight" });
    const middle = Y.encodeStateVector(a.doc);
    sendMessage(a.doc, { id: newId(), sender_id: ana, content: "queued after it" });
    const gapped = Y.encodeStateAsUpdate(a.doc, middle);
    expect(s.judge(a, gapped)).toMatchObject({ ok: false, code: "invalid_update", missingDependencies: true });
    // The sync exchange then brings both, which are judged like any update.
    expect(codeOf(s.judge(a, Y.encodeStateAsUpdate(a.doc, before)))).toBe("accepted");
    // The same gap under another member's client id is a forgery, whatever else is wrong with it.
    const eve = { doc: a.doc, author: { userId: admin, mayModerate: false } };
    s.bindings.set(a.doc.clientID, ana);
    expect(s.judge(eve, gapped)).toEqual({ ok: false, code: "forged_author", message: expect.any(String) });
  });

  it("refuses deletions of changes that do not exist yet, and empty ones", () => {
    const s = setup();
    const b = s.client(ben);
    sendMessage(b.doc, { id: newId(), sender_id: ben, content: "hi" });
    s.push(b);
    const future = new Y.Doc();
    // A delete set covering Ben's next thousand changes, which Yjs would keep pending.
    const clock = Y.getState(s.server.store, b.doc.clientID);
    const bytes = encodeDeleteOnly({ clients: new Map([[b.doc.clientID, [{ clock, len: 1000 }]]]) });
    expect(codeOf(s.judge({ doc: future, author: { userId: ana, mayModerate: false } }, bytes))).toBe("invalid_update");
    const empty = encodeDeleteOnly({ clients: new Map([[b.doc.clientID, [{ clock: 0, len: 0 }]]]) });
    expect(codeOf(s.judge({ doc: future, author: { userId: ana, mayModerate: false } }, empty))).toBe("invalid_update");
  });

  it("reports the uploads a new message carries, and lets them go only with the message", () => {
    const s = setup();
    const a = s.client(ana);
    const photo = { id: newId(), kind: "image" as const, name: "summit.jpg", mime: "image/jpeg", size: 9, width: 4, height: 3 };
    const id = newId();
    sendMessage(a.doc, { id, sender_id: ana, type: "image", content: null, attachments: [photo] });
    const sent = s.push(a);
    expect(sent).toMatchObject({ ok: true, newMessageIds: [id], attachments: [{ messageId: id, attachments: [photo] }] });

    // Clearing them while the message stays is refused, for the sender and a moderator alike.
    const m = s.client(admin);
    for (const c of [s.client(ana), m]) {
      (roomMaps(c.doc).messages.get(id) as Y.Map<unknown>).set("attachments", []);
      expect(codeOf(s.judge(c))).toBe("not_permitted");
    }
    // Deleting the message clears them, and is accepted from the sender and from a moderator.
    const again = s.client(ana);
    deleteMessage(again.doc, { message_id: id, actor_id: ana, may_moderate: false });
    expect(codeOf(s.judge(again))).toBe("accepted");
    const mod = s.client(admin);
    deleteMessage(mod.doc, { message_id: id, actor_id: admin, may_moderate: true });
    expect(codeOf(s.push(mod))).toBe("accepted");
  });

  it("stores no attachments key on a message without any, so an older validator takes it", () => {
    const s = setup();
    const a = s.client(ana);
    const id = newId();
    sendMessage(a.doc, { id, sender_id: ana, content: "plain" });
    expect((roomMaps(a.doc).messages.get(id) as Y.Map<unknown>).has("attachments")).toBe(false);
    expect(s.push(a)).toMatchObject({ ok: true, attachments: [] });
  });
});

/** An update with no new structs and only the given delete set (what a forger hand-writes). */
function encodeDeleteOnly(ds: { clients: Map<number, Array<{ clock: number; len: number }>> }): Uint8Array {
  const parts: number[] = [0]; // no struct groups
  const varUint = (n: number) => {
    let v = n;
    while (v > 0x7f) {
      parts.push(0x80 | (v & 0x7f));
      v = Math.floor(v / 128);
    }
    parts.push(v);
  };
  varUint(ds.clients.size);
  for (const [client, ranges] of ds.clients) {
    varUint(client);
    varUint(ranges.length);
    for (const { clock, len } of ranges) {
      varUint(clock);
      varUint(len);
    }
  }
  return new Uint8Array(parts);
}
