import { describe, expect, it, vi } from "vitest";
import * as Y from "yjs";
import type { AdmissionCode } from "../../server/messages/admission.ts";
import { newId } from "../../shared/ids.ts";
import {
  getMessage,
  parseReactionKey,
  receiptSchema,
  roomDocToJSON,
  roomMaps,
  sendMessage,
  storedMessageSchema,
} from "../../shared/room-doc/index.ts";
import type { RefusalCode } from "../../shared/update-validation/index.ts";
import { signUpAll, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { type FuzzFrame, type FuzzTarget, forgedDeletionFrames, fuzzFrames } from "../helpers/fuzz-corpus.ts";
import { RawRoomSocket } from "../helpers/raw-room-socket.ts";
import { acknowledged, expectNoRefusals, storedRoom, useSockets } from "../helpers/room-scene.ts";
import { type OpenDocument, openDocument } from "../helpers/sync-client.ts";
import { useTestServer } from "../helpers/test-server.ts";
import { deleteSetUpdate, Random } from "../helpers/update-fuzz.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { SYNC, syncFrame, validMessageFields } from "../helpers/yjs-forgery.ts";

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32));
/**
 * Frames per run: the work is bounded, not the clock, so a busy machine makes the run slower, not
 * a failure. FUZZ_FRAMES=5000 (or more) for a deeper run by hand.
 */
const FRAMES = Number(process.env.FUZZ_FRAMES ?? 1200);
const ROUNDS = 4;
// The timeouts below only catch a hang: they are far above what the bounded work takes even on a loaded machine.
const HANG_GUARD_MS = 600_000;
/** Raw sockets throwing frames at once: a refusal costs a reconnect, so several hide each other's round trips. */
const WORKERS = 4;
const REFUSAL_CODES: ReadonlyArray<RefusalCode | Extract<AdmissionCode, "rate_limited" | "attachment_invalid">> = [
  "invalid_update",
  "forged_author",
  "not_permitted",
  "schema_violation",
  "update_too_large",
  "reply_target_missing",
  "clock_skew",
  "invalid_text",
  "rate_limited",
  // A forged message naming uploads that are not the sender's (the gate's attachment check).
  "attachment_invalid",
];
const ROOTS = ["meta", "messages", "seq", "reactions", "receipts"];
const FIELDS = Object.keys(storedMessageSchema.shape) as Array<keyof typeof storedMessageSchema.shape>;

/** A group room made by ana with ben and eve; ana and ben keep it open over the WebSocket. */
interface LiveRoom {
  roomId: string;
  name: string;
  ana: TestUser;
  ben: TestUser;
  eve: TestUser;
  anaTab: OpenDocument;
  benTab: OpenDocument;
  /** Every message ana and ben sent over the WebSocket, with its text. */
  honest: Map<string, { sender: string; content: string }>;
  /** The room over REST before the attack. */
  before: any[];
  /** Message ids ben's tab ever saw removed from `messages` (never allowed). */
  removed: string[];
}

/** A REST message as the stored schema names its fields (REST does not show `system_event`). */
const storedFieldsOf = (m: any) => ({
  id: m.id,
  sender_id: m.sender_id,
  type: m.message_type,
  content: m.content,
  media_urls: m.media_urls,
  attachments: m.attachments,
  location: m.location,
  reply_to_id: m.reply_to_id,
  created_at: m.created_at,
  edited_at: m.edited_at,
  deleted: m.is_deleted,
  seq: m.seq,
});

describe.each(backendsUnderTest())("validation fuzz on %s", (backend) => {
  // Message rates have their own suite; here every update must reach the validator without pacing.
  const t = useTestServer(backend, { MESSAGES_PER_MINUTE: "1000000", MESSAGES_ABUSE_PER_TEN_MINUTES: "100000000" });
  const socket = useSockets(() => t.server);

  async function liveRoom(): Promise<LiveRoom> {
    const [ana, ben, eve] = await signUpAll(t.server.url, "ana", "ben", "eve");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { type: "group", name: "Track club", participant_ids: [ben.id, eve.id] })).body
      .id as string;
    const name = `room:${roomId}`;
    const anaTab = openDocument(socket(), name, ana.token);
    const benTab = openDocument(socket(), name, ben.token);
    await Promise.all([anaTab.synced(), benTab.synced()]);
    // Eve's own messages, one deleted, for the attack to edit, undelete and react to.
    const evesMessages: string[] = [];
    for (const content of ["Me too", "Wrong room, sorry"]) {
      evesMessages.push((await eve.api.post(`/api/v1/chat/messages/${roomId}`, { content })).body.id);
    }
    expect((await eve.api.delete(`/api/v1/chat/messages/${evesMessages[1]}`)).status).toBe(204);
    const removed: string[] = [];
    roomMaps(benTab.doc).messages.observe((event) => {
      for (const [key, change] of event.changes.keys) if (change.action === "delete") removed.push(key);
    });
    const room: LiveRoom = { roomId, name, ana, ben, eve, anaTab, benTab, honest: new Map(), before: [], removed };
    await honestRound(room, "warm-up");
    room.before = await restMessages(room);
    return room;
  }

  /** Ana and ben each send a message over their tab and wait for the server to acknowledge it. */
  async function honestRound(room: LiveRoom, label: string): Promise<string[]> {
    const sent = [
      [room.anaTab, room.ana],
      [room.benTab, room.ben],
    ].map(([tab, user]) => {
      const { doc } = tab as OpenDocument;
      const { id } = user as TestUser;
      const content = `${label} from ${id.slice(0, 8)}`;
      const message = sendMessage(doc, { sender_id: id, content }).id;
      room.honest.set(message, { sender: id, content });
      return message;
    });
    await Promise.all([acknowledged(room.anaTab), acknowledged(room.benTab)]);
    return sent;
  }

  /** Every message of the room over REST (as ana), paging back from the newest, oldest first. */
  async function restMessages(room: LiveRoom): Promise<any[]> {
    const all: any[] = [];
    for (let before: string | null = null, first = true; first || before !== null; first = false) {
      const query: string = before === null ? "limit=100" : `limit=100&before=${before}`;
      const res = await room.ana.api.get(`/api/v1/chat/messages/${room.roomId}?${query}`);
      expect(res.status).toBe(200);
      all.unshift(...res.body.items);
      before = res.body.next_cursor;
    }
    return all;
  }

  function liveDoc(room: LiveRoom): Y.Doc {
    const doc = t.server.context.hocuspocus.documents.get(room.name);
    if (!doc) throw new Error(`${room.name} is not loaded`);
    return doc;
  }

  function target(room: LiveRoom): FuzzTarget {
    const base = new Y.Doc();
    Y.applyUpdate(base, Y.encodeStateAsUpdate(room.benTab.doc));
    return {
      documentName: room.name,
      base,
      attacker: room.eve.id,
      others: [room.ana.id, room.ben.id],
      othersClientIds: [room.anaTab.doc.clientID, room.benTab.doc.clientID, liveDoc(room).clientID],
    };
  }

  /**
   * Throw `frames` at the room as eve over raw sockets, WORKERS at a time. A refusal closes the
   * room for its connection (and the server drops what was queued behind it), so each frame waits
   * for its outcome and a closed room is reopened on a fresh socket. Returns outcome → count.
   */
  async function throwFrames(room: LiveRoom, frames: FuzzFrame[]): Promise<Map<string, number>> {
    const tally = new Map<string, number>();
    let next = 0;
    const worker = async () => {
      let raw: RawRoomSocket | null = null;
      for (let i = next++; i < frames.length; i = next++) {
        const { what, frame } = frames[i] as FuzzFrame;
        raw ??= await RawRoomSocket.open(t.server.wsUrl, room.name, room.eve.token);
        const outcome = await raw.send(frame).catch((error: Error) => {
          throw new Error(`no answer to "${what}" (frame ${i}): ${error.message}`);
        });
        const key = outcome.kind === "refused" ? `refused ${outcome.code}` : outcome.kind;
        tally.set(key, (tally.get(key) ?? 0) + 1);
        if (raw.isClosed) {
          raw.close();
          raw = null;
        }
      }
      raw?.close();
    };
    // Hocuspocus logs every closed connection with its exception; thousands of them are expected here.
    const quiet = [vi.spyOn(console, "error").mockImplementation(() => {}), vi.spyOn(console, "warn").mockImplementation(() => {})];
    try {
      await Promise.all(Array.from({ length: WORKERS }, worker));
    } finally {
      for (const spy of quiet) spy.mockRestore();
    }
    for (const key of tally.keys()) {
      if (key.startsWith("refused ")) expect(REFUSAL_CODES).toContain(key.slice("refused ".length));
    }
    return tally;
  }

  /**
   * After the attack: the server answers, ana and ben still talk over the WebSocket, REST shows
   * exactly their messages (and eve's only in her own name), and the room, live and stored, holds
   * nothing outside the schema.
   */
  async function expectRoomWhole(room: LiveRoom): Promise<void> {
    expect((await room.ana.api.get("/api/v1/health")).status).toBe(200);

    const [fromAna, fromBen] = (await honestRound(room, "after the attack")) as [string, string];
    const shows = (doc: Y.Doc, id: string) =>
      getMessage(doc, id)?.seq != null && getMessage(doc, id)?.content === room.honest.get(id)?.content;
    await waitFor(() => shows(room.benTab.doc, fromAna), "ana's message after the attack, accepted, on ben's tab");
    await waitFor(() => shows(room.anaTab.doc, fromBen), "ben's message after the attack, accepted, on ana's tab");
    expectNoRefusals(room.anaTab, room.benTab);

    const items = await waitFor(async () => {
      const all = await restMessages(room);
      return all.some((m) => m.id === fromBen) && all.every((m) => m.seq !== null) ? all : null;
    }, "every message accepted over REST");
    const ids = items.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining([...room.honest.keys(), ...room.before.map((m) => m.id)]));
    const before = new Map(room.before.map((m) => [m.id, m]));
    for (const m of items) {
      const { seq: _seq, ...stored } = storedFieldsOf(m);
      const parsed = storedMessageSchema.omit({ system_event: true }).safeParse(stored);
      expect(parsed.success, `message ${m.id} over REST: ${parsed.error?.message}`).toBe(true);
      const honest = room.honest.get(m.id);
      const earlier = before.get(m.id);
      if (honest) {
        expect(m).toMatchObject({
          sender_id: honest.sender,
          content: honest.content,
          message_type: "text",
          is_deleted: false,
          edited_at: null,
        });
      } else if (earlier && earlier.sender_id !== room.eve.id) {
        // Ana's and the server's messages from before the attack are untouched.
        expect(storedFieldsOf(m)).toEqual(storedFieldsOf(earlier));
      } else {
        // Anything else got in through eve's honest-looking updates: hers, in her own name.
        expect(m.sender_id, `message ${m.id}`).toBe(room.eve.id);
        expect(m.message_type).not.toBe("system");
      }
      // Only eve reacted or read anything during the attack.
      const reactors = Object.values(m.reactions as Record<string, string[]>).flat();
      const readers = (m.read_by as Array<{ user_id: string }>).map((r) => r.user_id);
      const readersBefore = ((earlier?.read_by ?? []) as Array<{ user_id: string }>).map((r) => r.user_id);
      expect(reactors.filter((u) => u !== room.eve.id)).toEqual([]);
      expect(readers.filter((u) => u !== room.eve.id && !readersBefore.includes(u))).toEqual([]);
    }

    const live = liveDoc(room);
    expectWithinSchema(live, room, "the server's live copy");
    const stored = await waitFor(async () => {
      const doc = await storedRoom(t.server, room.roomId);
      return JSON.stringify(roomDocToJSON(doc)) === JSON.stringify(roomDocToJSON(live)) ? doc : null;
    }, "the stored room to equal the live one");
    expectWithinSchema(stored, room, "the stored room");
    await waitFor(
      () => JSON.stringify(roomDocToJSON(room.benTab.doc)) === JSON.stringify(roomDocToJSON(live)),
      "ben's tab to equal the server's copy",
    );
    expect(room.removed, "messages removed from the room").toEqual([]);
  }

  /** Every part of `doc` within the schema: known roots, whole messages with valid fields, valid reactions and receipts. */
  function expectWithinSchema(doc: Y.Doc, room: LiveRoom, what: string): void {
    // Yjs makes an empty root type for every root name an applied update mentions, even in structs
    // it skips as known; what matters is that none outside the schema holds anything.
    for (const [name, type] of doc.share) {
      if (!ROOTS.includes(name)) expect(type._start === null && type._map.size === 0, `${what}: content under "${name}"`).toBe(true);
    }
    const { messages, seq, reactions, receipts, meta } = roomMaps(doc);
    const known = new Set([...room.honest.keys(), ...room.before.map((m) => m.id)]);
    for (const [id, value] of messages.entries() as IterableIterator<[string, unknown]>) {
      expect(value, `${what}: message ${id}`).toBeInstanceOf(Y.Map);
      const map = value as Y.Map<unknown>;
      for (const [key, field] of map.entries()) {
        expect(field, `${what}: message ${id}.${key}`).not.toBeInstanceOf(Y.AbstractType);
        const schema = storedMessageSchema.shape[key as keyof typeof storedMessageSchema.shape];
        expect(schema, `${what}: message ${id} has a field "${key}"`).toBeDefined();
        expect(schema?.safeParse(field).success, `${what}: message ${id}.${key} = ${JSON.stringify(field)}`).toBe(true);
      }
      expect(map.get("id"), `${what}: message ${id}.id`).toBe(id);
      if (map.get("sender_id") !== room.eve.id) expect(known.has(id), `${what}: message ${id} from ${map.get("sender_id")}`).toBe(true);
    }
    for (const m of roomDocToJSON(doc).messages) {
      const parsed = storedMessageSchema.safeParse(Object.fromEntries(FIELDS.map((key) => [key, m[key]])));
      expect(parsed.success, `${what}: message ${m.id}: ${parsed.error?.message}`).toBe(true);
    }
    const numbers = [...seq.entries()];
    for (const [id, n] of numbers) {
      expect(messages.has(id), `${what}: seq of ${id}`).toBe(true);
      expect(Number.isInteger(n) && n > 0, `${what}: seq ${id} = ${JSON.stringify(n)}`).toBe(true);
    }
    expect(new Set(numbers.map(([, n]) => n)).size, `${what}: sequence numbers are unique`).toBe(numbers.length);
    for (const [key, at] of reactions.entries()) {
      const reaction = parseReactionKey(key);
      expect(reaction?.userId, `${what}: reaction ${key}`).toBe(room.eve.id);
      expect(messages.has(reaction?.messageId ?? ""), `${what}: reaction ${key}`).toBe(true);
      expect(typeof at, `${what}: reaction ${key}`).toBe("string");
    }
    for (const [userId, receipt] of receipts.entries()) {
      expect(userId, `${what}: receipts`).toBe(room.eve.id);
      expect(receiptSchema.safeParse(receipt).success, `${what}: receipt ${JSON.stringify(receipt)}`).toBe(true);
    }
    expect(meta.toJSON(), `${what}: meta`).toEqual({ schemaVersion: 1 });
  }

  /** Run `body`, naming the seed in any failure so the run can be replayed (FUZZ_SEED=…). */
  async function withSeed(body: (random: Random) => Promise<void>): Promise<void> {
    try {
      await body(new Random(SEED));
    } catch (error) {
      if (error instanceof Error) error.message = `[FUZZ_SEED=${SEED}] ${error.message}`;
      throw error;
    }
  }

  it(
    "1,200 random, mutated and forged updates from a member (NUL and broken Unicode among them) leave the room whole and working",
    async () => {
      await withSeed(async (random) => {
        const room = await liveRoom();
        const tally = new Map<string, number>();
        for (let round = 0; round < ROUNDS; round++) {
          await honestRound(room, `round ${round}`);
          const frames = fuzzFrames(target(room), random, Math.ceil(FRAMES / ROUNDS));
          for (const [key, n] of await throwFrames(room, frames)) tally.set(key, (tally.get(key) ?? 0) + n);
        }
        // The corpus reaches the validator's rules, not only the decoder.
        for (const code of ["invalid_update", "forged_author", "not_permitted", "schema_violation", "invalid_text"]) {
          expect(tally.get(`refused ${code}`) ?? 0, `refusals for ${code}: ${JSON.stringify([...tally])}`).toBeGreaterThan(0);
        }
        expect(tally.get("accepted") ?? 0).toBeGreaterThan(0);
        await expectRoomWhole(room);
      });
    },
    HANG_GUARD_MS,
  );

  it(
    "forged deletions of other members' items, written or still to come, change nothing",
    async () => {
      await withSeed(async (random) => {
        const room = await liveRoom();
        // A message made twice under one key in one update (the first copy is replaced, so the
        // server garbage-collects its fields), then a delete range from those collected items
        // across the surviving copy.
        const fork = new Y.Doc({ gc: false });
        Y.applyUpdate(fork, Y.encodeStateAsUpdate(room.benTab.doc));
        fork.clientID = random.clientId();
        const before = Y.encodeStateVector(fork);
        const twice = newId();
        for (const content of ["first copy", "second copy"]) {
          roomMaps(fork).messages.set(twice, new Y.Map<unknown>(Object.entries(validMessageFields(room.eve.id, { id: twice, content }))));
        }
        const raw = await RawRoomSocket.open(t.server.wsUrl, room.name, room.eve.token);
        const removal = deleteSetUpdate([{ client: fork.clientID, clock: 1, length: Y.getState(fork.store, fork.clientID) - 1 }]);
        for (const update of [Y.encodeStateAsUpdate(fork, before), removal]) {
          if (!raw.isClosed) await raw.send(syncFrame(room.name, SYNC.update, update));
        }
        raw.close();

        for (let round = 0; round < 3; round++) {
          await honestRound(room, `round ${round}`);
          await throwFrames(room, forgedDeletionFrames(target(room), random, 150));
        }
        await expectRoomWhole(room);
      });
    },
    HANG_GUARD_MS,
  );
});
