import { randomBytes } from "node:crypto";
import * as encoding from "lib0/encoding";
import { v4 as uuidv4 } from "uuid";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { ErrorCode } from "../../shared/errors.ts";
import { newId } from "../../shared/ids.ts";
import {
  addReaction,
  deleteMessage,
  editMessage,
  getMessage,
  listMessages,
  markRead,
  reactionKey,
  removeReaction,
  roomMaps,
  sendMessage,
} from "../../shared/room-doc/index.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import {
  acknowledged,
  expectNoRefusals,
  openTabs,
  type RoomScene,
  restMessages,
  setUpRoomScene,
  storedRoom,
  type Tabs,
  useSockets,
  watchFor,
} from "../helpers/room-scene.ts";
import { goOffline, goOnline, openDocument } from "../helpers/sync-client.ts";
import { useTestServer } from "../helpers/test-server.ts";
import { waitFor } from "../helpers/wait-for.ts";
import {
  insertRawMessage,
  rawFrame,
  rawMessage,
  SYNC,
  storedContents,
  syncFrame,
  validMessageFields,
  writeUnderClientId,
} from "../helpers/yjs-forgery.ts";

// A refusal is decided before the update is applied; it arrives in milliseconds, not seconds.
const REFUSAL_WAIT_MS = 5_000;
const MINUTE = 60_000;

/** An attack on the attacker's own replica, and how to recognise any trace of it in a replica. */
interface Attempt {
  attack: (doc: Y.Doc) => void;
  trace: (doc: Y.Doc) => boolean;
  /** Whose socket sends it; eve's by default. */
  by?: Tabs;
}

/** The nested map of a message the test knows is there. */
function fieldsOf(doc: Y.Doc, messageId: string): Y.Map<unknown> {
  const map = rawMessage(doc, messageId);
  if (!map) throw new Error(`no message ${messageId} in this replica`);
  return map;
}

const hasMessage = (id: string) => (doc: Y.Doc) => roomMaps(doc).messages.has(id);
const hasContent = (text: string) => (doc: Y.Doc) => storedContents(doc).includes(text);

describe.each(backendsUnderTest())("validation of WebSocket updates on %s", (backend) => {
  const t = useTestServer(backend);
  const socket = useSockets(() => t.server);
  const scene = () => setUpRoomScene(t.server.url, socket);

  /**
   * Send `attack` and check the whole contract of a refusal: the sender is told why and the room
   * is closed for it; ben, connected all along, never sees any of it; REST, a fresh client and
   * the stored document show the room as it was; the sender's other room keeps working.
   */
  async function expectRefused(s: RoomScene, code: ErrorCode, { attack, trace, by = s.eveTabs }: Attempt): Promise<void> {
    const before = await restMessages(s.ana, s.roomId);
    const bystander = watchFor(s.benTab.doc, trace);
    attack(by.room.doc);
    // The attack did change the attacker's replica: everything below is about the server.
    expect(trace(by.room.doc)).toBe(true);

    await waitFor(() => by.room.refusals.length > 0 && by.room.closeReasons.length > 0, `a ${code} refusal`, REFUSAL_WAIT_MS);
    expect(by.room.refusals).toEqual([{ type: "refused", code, message: expect.any(String) }]);
    expect(by.room.closeReasons).toEqual([code]);

    // Anything the server had broadcast reaches ben before ana's next message does.
    const next = (await s.ana.api.post(`/api/v1/chat/messages/${s.roomId}`, { content: "Warm-up first" })).body.id as string;
    await waitFor(() => roomMaps(s.benTab.doc).messages.has(next), "ana's next message on ben's tab");
    bystander.stop();
    expect(bystander.seen()).toBe(false);
    expect((await restMessages(s.ana, s.roomId)).filter((m) => m.id !== next)).toEqual(before);
    const fresh = openDocument(socket(), s.name, s.ben.token);
    await fresh.synced();
    expect(trace(fresh.doc)).toBe(false);
    expect(trace(await storedRoom(t.server, s.roomId))).toBe(false);

    const elsewhere = newId();
    sendMessage(by.elsewhere.doc, { id: elsewhere, sender_id: by.user.id, content: "Still here" });
    await acknowledged(by.elsewhere);
    expect((await restMessages(s.ana, s.otherRoomId)).map((m) => m.id)).toContain(elsewhere);
  }

  describe("forged_author", () => {
    it("a member cannot post in another member's name", async () => {
      const s = await scene();
      await expectRefused(s, "forged_author", {
        attack: (doc) => sendMessage(doc, { id: newId(), sender_id: s.ben.id, content: "I owe you money" }),
        trace: hasContent("I owe you money"),
      });
    });

    it("a member cannot write under the Yjs client id another member writes with", async () => {
      const s = await scene();
      const bensClientId = s.benTab.doc.clientID;
      await expectRefused(s, "forged_author", {
        attack: (doc) => {
          const update = writeUnderClientId(doc, bensClientId, (forged) =>
            sendMessage(forged, { id: newId(), sender_id: s.eve.id, content: "Sent from ben's device" }),
          );
          Y.applyUpdate(doc, update);
        },
        trace: hasContent("Sent from ben's device"),
      });
    });
  });

  describe("not_permitted", () => {
    it("a member cannot rewrite another member's message", async () => {
      const s = await scene();
      await expectRefused(s, "not_permitted", {
        attack: (doc) => fieldsOf(doc, s.bensMessage).set("content", "Count me out"),
        trace: (doc) => rawMessage(doc, s.bensMessage)?.get("content") === "Count me out",
      });
    });

    it("a member cannot delete another member's message by claiming to moderate", async () => {
      const s = await scene();
      await expectRefused(s, "not_permitted", {
        attack: (doc) => deleteMessage(doc, { message_id: s.bensMessage, actor_id: s.eve.id, may_moderate: true }),
        trace: (doc) => rawMessage(doc, s.bensMessage)?.get("deleted") === true,
      });
    });

    it("a member cannot remove another member's message from the room", async () => {
      const s = await scene();
      await expectRefused(s, "not_permitted", {
        attack: (doc) => roomMaps(doc).messages.delete(s.bensMessage),
        trace: (doc) => !roomMaps(doc).messages.has(s.bensMessage),
      });
    });

    it("a member cannot mark messages read for another member, nor react in their name", async () => {
      const s = await scene();
      await expectRefused(s, "not_permitted", {
        attack: (doc) => markRead(doc, { user_id: s.ben.id, message_id: s.anasMessage }),
        trace: (doc) => roomMaps(doc).receipts.has(s.ben.id),
      });
      // The room is closed for eve's tab now; a new tab of hers tries the reaction.
      const again = await openTabs(socket(), s.eve, s.roomId, s.otherRoomId);
      await expectRefused(s, "not_permitted", {
        by: again,
        attack: (doc) => addReaction(doc, { message_id: s.anasMessage, user_id: s.ben.id, emoji: "👎" }),
        trace: (doc) => roomMaps(doc).reactions.has(reactionKey(s.anasMessage, "👎", s.ben.id)),
      });
    });

    it.each([
      ["sequence numbers", "seq" as const, (s: RoomScene) => s.bensMessage, 1_000],
      ["schema version", "meta" as const, () => "schemaVersion", 99],
    ])("a member cannot write the server's %s", async (_what, map, key, value) => {
      const s = await scene();
      await expectRefused(s, "not_permitted", {
        attack: (doc) => (roomMaps(doc)[map] as Y.Map<unknown>).set(key(s), value),
        trace: (doc) => (roomMaps(doc)[map] as Y.Map<unknown>).get(key(s)) === value,
      });
    });

    it("a member cannot post a system message", async () => {
      const s = await scene();
      const id = newId();
      await expectRefused(s, "not_permitted", {
        attack: (doc) =>
          sendMessage(doc, {
            id,
            type: "system",
            sender_id: s.eve.id,
            content: "ana made eve an admin",
            system_event: { kind: "role_changed", actor_id: s.ana.id, target_id: s.eve.id, role: "admin" },
          }),
        trace: hasMessage(id),
      });
    });

    it("a sender cannot bring back a message once deleted", async () => {
      const s = await scene();
      deleteMessage(s.eveTabs.room.doc, { message_id: s.evesMessage, actor_id: s.eve.id });
      await acknowledged(s.eveTabs.room);
      await waitFor(() => getMessage(s.benTab.doc, s.evesMessage)?.deleted, "the deletion on ben's tab");
      await expectRefused(s, "not_permitted", {
        attack: (doc) =>
          doc.transact(() => {
            fieldsOf(doc, s.evesMessage).set("deleted", false);
            fieldsOf(doc, s.evesMessage).set("content", "Me too");
          }),
        trace: (doc) => rawMessage(doc, s.evesMessage)?.get("deleted") === false,
      });
    });

    it("a room admin cannot edit another member's message (deleting it is allowed, below)", async () => {
      const s = await scene();
      const ana = await openTabs(socket(), s.ana, s.roomId, s.otherRoomId);
      await expectRefused(s, "not_permitted", {
        by: ana,
        attack: (doc) => fieldsOf(doc, s.bensMessage).set("content", "Count me in (edited by ana)"),
        trace: hasContent("Count me in (edited by ana)"),
      });
    });
  });

  describe("invalid_text", () => {
    it("a member cannot send or edit in text holding NUL, which the database could not store; the room stays whole", async () => {
      const s = await scene();
      const id = newId();
      await expectRefused(s, "invalid_text", {
        attack: (doc) => insertRawMessage(doc, validMessageFields(s.eve.id, { id, content: "a\u0000b" })),
        trace: hasMessage(id),
      });
      const again = await openTabs(socket(), s.eve, s.roomId, s.otherRoomId);
      await expectRefused(s, "invalid_text", {
        by: again,
        attack: (doc) => fieldsOf(doc, s.evesMessage).set("content", "edited\u0000"),
        trace: hasContent("edited\u0000"),
      });
      // Later writes of the room are acknowledged and stored, over both doors.
      const third = await openTabs(socket(), s.eve, s.roomId, s.otherRoomId);
      const after = newId();
      sendMessage(third.room.doc, { id: after, sender_id: s.eve.id, content: "clean again" });
      await acknowledged(third.room);
      expect((await restMessages(s.ben, s.roomId)).map((m) => m.id)).toContain(after);
    });
  });

  describe("schema_violation", () => {
    it.each([
      ["a map", (doc: Y.Doc) => doc.getMap("evil").set("x", 1), (doc: Y.Doc) => doc.getMap("evil").size > 0],
      ["an array", (doc: Y.Doc) => doc.getArray("messages2").push(["hello"]), (doc: Y.Doc) => doc.getArray("messages2").length > 0],
    ])("a member cannot add a shared type the schema does not have (%s)", async (_kind, attack, trace) => {
      const s = await scene();
      await expectRefused(s, "schema_violation", { attack, trace });
    });

    it("a message with fields of the wrong type is refused, new or existing", async () => {
      const s = await scene();
      const id = newId();
      await expectRefused(s, "schema_violation", {
        attack: (doc) => insertRawMessage(doc, validMessageFields(s.eve.id, { id, content: 42 })),
        trace: hasMessage(id),
      });
      const again = await openTabs(socket(), s.eve, s.roomId, s.otherRoomId);
      await expectRefused(s, "schema_violation", {
        by: again,
        attack: (doc) => fieldsOf(doc, s.evesMessage).set("deleted", "yes"),
        trace: (doc) => rawMessage(doc, s.evesMessage)?.get("deleted") === "yes",
      });
    });

    it("a message missing required fields is refused", async () => {
      const s = await scene();
      const id = newId();
      await expectRefused(s, "schema_violation", {
        attack: (doc) => insertRawMessage(doc, { id, sender_id: s.eve.id, content: "Just the words" }),
        trace: hasMessage(id),
      });
    });

    it("a message whose id is not a UUIDv7 is refused", async () => {
      const s = await scene();
      const id = uuidv4();
      await expectRefused(s, "schema_violation", {
        attack: (doc) => insertRawMessage(doc, validMessageFields(s.eve.id, { id })),
        trace: hasMessage(id),
      });
    });

    it.each([
      ["a Y.Text as content", () => ({ content: new Y.Text("Rich text") })],
      ["a Y.Array as media urls", () => ({ type: "image", media_urls: Y.Array.from(["https://example.com/a.png"]) })],
    ])("a shared type where the schema has a plain value is refused (%s)", async (_what, fields) => {
      const s = await scene();
      const id = newId();
      await expectRefused(s, "schema_violation", {
        attack: (doc) => insertRawMessage(doc, validMessageFields(s.eve.id, { id, ...fields() })),
        trace: hasMessage(id),
      });
    });
  });

  describe("update_too_large", () => {
    it.each([
      ["content over 4000 characters", { content: "x".repeat(4001) }],
      [
        "more than 10 media urls",
        { type: "image", content: null, media_urls: Array.from({ length: 11 }, (_, i) => `https://example.com/${i}.png`) },
      ],
    ])("a message with %s is refused", async (_what, fields) => {
      const s = await scene();
      const id = newId();
      await expectRefused(s, "update_too_large", {
        attack: (doc) => insertRawMessage(doc, validMessageFields(s.eve.id, { id, ...fields })),
        trace: hasMessage(id),
      });
    });

    it("an update over 1 MiB is refused even when every message in it is valid", async () => {
      const s = await scene();
      const ids = Array.from({ length: 280 }, () => newId());
      await expectRefused(s, "update_too_large", {
        attack: (doc) => {
          let bytes = 0;
          const measure = (update: Uint8Array) => {
            bytes = update.length;
          };
          doc.on("update", measure);
          doc.transact(() => {
            for (const id of ids) sendMessage(doc, { id, sender_id: s.eve.id, content: "y".repeat(4000) });
          });
          doc.off("update", measure);
          expect(bytes).toBeGreaterThan(1024 * 1024);
        },
        trace: (doc) => ids.some((id) => roomMaps(doc).messages.has(id)),
      });
    });
  });

  describe("reply_target_missing", () => {
    it("a reply to a message the room does not have is refused", async () => {
      const s = await scene();
      const id = newId();
      await expectRefused(s, "reply_target_missing", {
        attack: (doc) => insertRawMessage(doc, validMessageFields(s.eve.id, { id, content: "Agreed!", reply_to_id: newId() })),
        trace: hasMessage(id),
      });
    });
  });

  describe("clock_skew", () => {
    it("a message dated more than 5 minutes ahead is refused", async () => {
      const s = await scene();
      const id = newId();
      await expectRefused(s, "clock_skew", {
        attack: (doc) =>
          sendMessage(doc, {
            id,
            sender_id: s.eve.id,
            content: "Pinned to the top",
            created_at: new Date(Date.now() + 10 * MINUTE).toISOString(),
          }),
        trace: hasMessage(id),
      });
    });

    it("a message dated days ago, as an offline client's can be, is accepted", async () => {
      const s = await scene();
      const id = newId();
      const createdAt = new Date(Date.now() - 3 * 24 * 60 * MINUTE).toISOString();
      sendMessage(s.eveTabs.room.doc, { id, sender_id: s.eve.id, content: "Written on the plane", created_at: createdAt });
      await acknowledged(s.eveTabs.room);
      const stored = await waitFor(
        async () => (await restMessages(s.ben, s.roomId)).find((m) => m.id === id && m.seq !== null),
        "the old message accepted",
      );
      expect(stored).toMatchObject({ content: "Written on the plane", created_at: createdAt });
      expectNoRefusals(s.eveTabs.room);
    });
  });

  describe("invalid_update", () => {
    it("undecodable frames leave the server up and the room working for everyone else", async () => {
      const s = await scene();
      const valid = writeUnderClientId(s.eveTabs.room.doc, s.eveTabs.room.doc.clientID, (doc) =>
        sendMessage(doc, { id: newId(), sender_id: s.eve.id, content: "Cut short" }),
      );
      const frames: Array<[string, Uint8Array]> = [
        ["a truncated update", syncFrame(s.name, SYNC.update, valid.slice(0, Math.floor(valid.length / 2)))],
        ["random bytes", syncFrame(s.name, SYNC.update, new Uint8Array(randomBytes(64)))],
        [
          "a huge length varint",
          rawFrame(s.name, (e) => {
            // A Yjs sync update (Hocuspocus type 0) whose length prefix claims 2^53 bytes.
            for (const n of [0, SYNC.update, Number.MAX_SAFE_INTEGER]) encoding.writeVarUint(e, n);
          }),
        ],
        ["an unknown message type", rawFrame(s.name, (e) => encoding.writeVarUint(e, 99))],
      ];
      for (const [what, frame] of frames) {
        // Each frame from its own tab, followed by a valid update on the same document, so the
        // server has handled the frame once that update is acknowledged or the room is closed.
        const tabs = await openTabs(socket(), s.eve, s.roomId, s.otherRoomId);
        tabs.socket.send(frame);
        sendMessage(tabs.room.doc, { id: newId(), sender_id: s.eve.id, content: `After ${what}` });
        await waitFor(
          () => tabs.room.closeReasons.length > 0 || (tabs.room.provider.isSynced && !tabs.room.provider.hasUnsyncedChanges),
          `the server to handle ${what}`,
        );
        // If the server says why, it says invalid_update.
        expect(tabs.room.refusals.map((r) => r.code).filter((code) => code !== "invalid_update")).toEqual([]);
      }

      expect((await s.ana.api.get("/api/v1/health")).status).toBe(200);
      const id = newId();
      sendMessage(s.benTab.doc, { id, sender_id: s.ben.id, content: "Anyone there?" });
      await acknowledged(s.benTab);
      await waitFor(
        async () => (await restMessages(s.ana, s.roomId)).some((m) => m.id === id && m.seq !== null),
        "ben's message over REST",
      );
      const fresh = openDocument(socket(), s.name, s.ana.token);
      await fresh.synced();
      for (const known of [s.anasMessage, s.bensMessage, s.evesMessage, id]) expect(roomMaps(fresh.doc).messages.has(known)).toBe(true);
      // Nothing undecodable was stored: the room still loads from the database.
      expect(roomMaps(await storedRoom(t.server, s.roomId)).messages.has(id)).toBe(true);
      expectNoRefusals(s.benTab, fresh);
    });
  });

  describe("honest clients are never refused", () => {
    it("replays sends, edits, reactions and read markers made offline, each once", async () => {
      const s = await scene();
      const ben = s.benTab.doc;
      addReaction(ben, { message_id: s.anasMessage, user_id: s.ben.id, emoji: "🔥" });
      await acknowledged(s.benTab);
      await goOffline(s.benSocket);
      const offline = newId();
      sendMessage(ben, { id: offline, sender_id: s.ben.id, content: "Back online soon" });
      editMessage(ben, { message_id: s.bensMessage, actor_id: s.ben.id, content: "Count me in, 8 km" });
      addReaction(ben, { message_id: s.anasMessage, user_id: s.ben.id, emoji: "👍" });
      removeReaction(ben, { message_id: s.anasMessage, user_id: s.ben.id, emoji: "🔥" });
      expect(markRead(ben, { user_id: s.ben.id, message_id: s.evesMessage })).toBe(true);
      await goOnline(s.benSocket);
      await acknowledged(s.benTab);

      // The offline changes may reach the server as several updates: wait until all of them have.
      const readers = (m: { read_by: { user_id: string }[] } | undefined) => m?.read_by.map((r) => r.user_id);
      const items = await waitFor(async () => {
        const all = await restMessages(s.ana, s.roomId);
        const byId = (id: string) => all.find((m) => m.id === id);
        const arrived =
          byId(offline)?.seq &&
          byId(s.bensMessage)?.content === "Count me in, 8 km" &&
          !("🔥" in (byId(s.anasMessage)?.reactions ?? {})) &&
          readers(byId(s.evesMessage))?.includes(s.ben.id);
        return arrived ? all : null;
      }, "every offline change on the server");
      expect(items.filter((m) => m.id === offline)).toHaveLength(1);
      const byId = (id: string) => items.find((m) => m.id === id);
      expect(byId(s.bensMessage)).toMatchObject({ content: "Count me in, 8 km", edited_at: expect.any(String) });
      expect(byId(s.anasMessage)?.reactions).toEqual({ "👍": [s.ben.id] });
      expect(readers(byId(s.anasMessage))).toEqual([s.ben.id]);
      expect(readers(byId(s.evesMessage))).toEqual([s.ben.id]);
      expectNoRefusals(s.benTab);
    });

    it("accepts the same user writing from two tabs at once", async () => {
      const s = await scene();
      const second = openDocument(socket(), s.name, s.ben.token);
      await second.synced();
      const tabs = [s.benTab, second];
      tabs.forEach((tab, n) => {
        for (let i = 0; i < 5; i++) sendMessage(tab.doc, { id: newId(), sender_id: s.ben.id, content: `tab ${n} lap ${i}` });
        editMessage(tab.doc, { message_id: s.bensMessage, actor_id: s.ben.id, content: `Count me in (tab ${n})` });
        addReaction(tab.doc, { message_id: s.anasMessage, user_id: s.ben.id, emoji: n === 0 ? "👍" : "🎉" });
        markRead(tab.doc, { user_id: s.ben.id, message_id: s.evesMessage });
      });
      await Promise.all(tabs.map(acknowledged));

      const view = (tab: (typeof tabs)[number]) => listMessages(tab.doc, { limit: 100 }).map((m) => `${m.seq}:${m.content}`);
      await waitFor(() => {
        const first = view(s.benTab);
        return (
          first.filter((line) => line.includes("lap")).length === 10 &&
          !first.some((line) => line.startsWith("null")) &&
          first.join() === view(second).join()
        );
      }, "both tabs to agree on every accepted message");
      const items = await restMessages(s.ana, s.roomId);
      expect(items.filter((m) => m.content?.includes("lap"))).toHaveLength(10);
      expect(["Count me in (tab 0)", "Count me in (tab 1)"]).toContain(items.find((m) => m.id === s.bensMessage)?.content);
      expect(items.find((m) => m.id === s.anasMessage)?.reactions).toEqual({ "👍": [s.ben.id], "🎉": [s.ben.id] });
      expectNoRefusals(...tabs);
    });

    it("accepts REST and WebSocket writes mixed in one room", async () => {
      const s = await scene();
      const ben = s.benTab.doc;
      const rest = (await s.ana.api.post(`/api/v1/chat/messages/${s.roomId}`, { content: "Track at 6" })).body;
      await waitFor(() => roomMaps(ben).seq.has(rest.id), "ana's REST message on ben's tab");
      const reply = newId();
      sendMessage(ben, { id: reply, sender_id: s.ben.id, content: "On my way", reply_to_id: rest.id });
      addReaction(ben, { message_id: rest.id, user_id: s.ben.id, emoji: "🏃" });
      markRead(ben, { user_id: s.ben.id, message_id: rest.id });
      const [edited, reacted, read] = await Promise.all([
        s.ana.api.put(`/api/v1/chat/messages/${rest.id}`, { content: "Track at 6:30" }),
        s.ana.api.post(`/api/v1/chat/messages/${s.bensMessage}/reactions`, { emoji: "👍" }),
        s.ana.api.post(`/api/v1/chat/messages/${s.bensMessage}/read`),
      ]);
      expect([edited.status, reacted.status, read.status]).toEqual([200, 201, 200]);
      await acknowledged(s.benTab);

      const items = await waitFor(async () => {
        const all = await restMessages(s.ben, s.roomId);
        return all.find((m) => m.id === reply)?.seq ? all : null;
      }, "ben's reply accepted");
      const byId = (id: string) => items.find((m) => m.id === id);
      expect(byId(rest.id)).toMatchObject({ content: "Track at 6:30", reactions: { "🏃": [s.ben.id] } });
      expect(byId(rest.id)?.read_by.map((r: { user_id: string }) => r.user_id)).toEqual([s.ben.id]);
      expect(byId(reply)).toMatchObject({ content: "On my way", reply_to_id: rest.id });
      expect(byId(s.bensMessage)).toMatchObject({ reactions: { "👍": [s.ana.id] } });
      await waitFor(() => getMessage(ben, rest.id)?.content === "Track at 6:30", "ana's edit on ben's tab");
      expectNoRefusals(s.benTab);
    });

    it("accepts a reconnect whose state carries other members' messages, edits and deletions", async () => {
      const s = await scene();
      // History by others that leaves deleted items of theirs in every replica's delete set.
      const eve = s.eveTabs.room.doc;
      addReaction(eve, { message_id: s.bensMessage, user_id: s.eve.id, emoji: "🔥" });
      removeReaction(eve, { message_id: s.bensMessage, user_id: s.eve.id, emoji: "🔥" });
      editMessage(eve, { message_id: s.evesMessage, actor_id: s.eve.id, content: "Me too, 10 km" });
      await acknowledged(s.eveTabs.room);
      await s.ana.api.put(`/api/v1/chat/messages/${s.anasMessage}`, { content: "Intervals at 7:15?" });
      await s.ana.api.delete(`/api/v1/chat/messages/${s.evesMessage}`);
      await waitFor(
        () => getMessage(s.benTab.doc, s.evesMessage)?.deleted && getMessage(s.benTab.doc, s.anasMessage)?.content === "Intervals at 7:15?",
        "the history on ben's tab",
      );

      // Ben closes the tab; the page later loads the room from its local copy, with a message
      // written before the connection was back.
      const copy = Y.encodeStateAsUpdate(s.benTab.doc);
      s.benTab.destroy();
      const restored = new Y.Doc();
      Y.applyUpdate(restored, copy);
      const written = newId();
      sendMessage(restored, { id: written, sender_id: s.ben.id, content: "Written before the page loaded" });
      const tabSocket = socket();
      const tab = openDocument(tabSocket, s.name, s.ben.token, restored);
      await tab.synced();
      await acknowledged(tab);
      // A client may also answer with its whole state, every item the server already has.
      tabSocket.send(syncFrame(s.name, SYNC.step2, Y.encodeStateAsUpdate(restored)));
      const after = newId();
      sendMessage(restored, { id: after, sender_id: s.ben.id, content: "And one more" });
      await acknowledged(tab);

      const items = await waitFor(async () => {
        const all = await restMessages(s.ana, s.roomId);
        return all.find((m) => m.id === after)?.seq ? all : null;
      }, "the messages accepted");
      expect(items.filter((m) => m.id === written)).toHaveLength(1);
      expect(items.find((m) => m.id === s.evesMessage)).toMatchObject({ is_deleted: true, content: null });
      expectNoRefusals(tab);
    });

    it("accepts a room admin deleting another member's message over the WebSocket", async () => {
      const s = await scene();
      addReaction(s.eveTabs.room.doc, { message_id: s.bensMessage, user_id: s.eve.id, emoji: "🔥" });
      await acknowledged(s.eveTabs.room);
      const ana = await openTabs(socket(), s.ana, s.roomId, s.otherRoomId);
      await waitFor(() => roomMaps(ana.room.doc).reactions.size > 0, "eve's reaction on ana's tab");
      deleteMessage(ana.room.doc, { message_id: s.bensMessage, actor_id: s.ana.id, may_moderate: true });
      await acknowledged(ana.room);

      await waitFor(() => getMessage(s.benTab.doc, s.bensMessage)?.deleted, "the deletion on ben's tab");
      const deleted = (await restMessages(s.eve, s.roomId)).find((m) => m.id === s.bensMessage);
      expect(deleted).toMatchObject({ is_deleted: true, content: null, reactions: {} });
      expectNoRefusals(ana.room, s.benTab, s.eveTabs.room);
    });

    it("applies a promotion and a demotion to a room already open at once: the new admin may delete, the former may not", async () => {
      const s = await scene();
      // Ana (the room's admin) promotes eve while the room is loaded and eve's tab is open.
      expect((await s.ana.api.put(`/api/v1/chat/rooms/${s.roomId}/members/${s.eve.id}`, { role: "admin" })).status).toBe(200);
      const eve = await openTabs(socket(), s.eve, s.roomId, s.otherRoomId);
      await waitFor(() => getMessage(eve.room.doc, s.bensMessage) !== null, "ben's message on eve's tab");
      deleteMessage(eve.room.doc, { message_id: s.bensMessage, actor_id: s.eve.id, may_moderate: true });
      await acknowledged(eve.room);
      await waitFor(() => getMessage(s.benTab.doc, s.bensMessage)?.deleted, "the deletion on ben's tab");
      expectNoRefusals(eve.room, s.benTab);

      expect((await s.ana.api.put(`/api/v1/chat/rooms/${s.roomId}/members/${s.eve.id}`, { role: "member" })).status).toBe(200);
      await expectRefused(s, "not_permitted", {
        by: eve,
        attack: (doc) => deleteMessage(doc, { message_id: s.anasMessage, actor_id: s.eve.id, may_moderate: true }),
        trace: (doc) => getMessage(doc, s.anasMessage)?.deleted === true,
      });
    });

    it("accepts a server admin deleting any message over the WebSocket, though only a member of the room", async () => {
      const s = await scene();
      await t.server.context.db.query("UPDATE users SET is_server_admin = true WHERE id = $1", [s.eve.id]);
      // The role is read when a document is opened: tabs opened before the grant still judge her as a member.
      const eve = await openTabs(socket(), s.eve, s.roomId, s.otherRoomId);
      await waitFor(() => getMessage(eve.room.doc, s.bensMessage) !== null, "ben's message on eve's admin tab");
      deleteMessage(eve.room.doc, { message_id: s.bensMessage, actor_id: s.eve.id, may_moderate: true });
      await acknowledged(eve.room);
      await waitFor(() => getMessage(s.benTab.doc, s.bensMessage)?.deleted, "the deletion on ben's tab");
      expectNoRefusals(eve.room, s.benTab);
    });

    it("accepts an edit made offline to a message a room admin deleted meanwhile, which stays deleted", async () => {
      const s = await scene();
      const ana = await openTabs(socket(), s.ana, s.roomId, s.otherRoomId);
      await goOffline(s.benSocket);
      editMessage(s.benTab.doc, { message_id: s.bensMessage, actor_id: s.ben.id, content: "Count me in, maybe" });
      deleteMessage(ana.room.doc, { message_id: s.bensMessage, actor_id: s.ana.id, may_moderate: true });
      await acknowledged(ana.room);
      await goOnline(s.benSocket);
      await acknowledged(s.benTab);

      for (const doc of [s.benTab.doc, ana.room.doc]) {
        await waitFor(() => getMessage(doc, s.bensMessage)?.deleted, "the deletion on every tab");
        expect(getMessage(doc, s.bensMessage)?.content).toBeNull();
      }
      const stored = (await restMessages(s.eve, s.roomId)).find((m) => m.id === s.bensMessage);
      expect(stored).toMatchObject({ is_deleted: true, content: null });
      expectNoRefusals(s.benTab, ana.room);
    });
  });
});
