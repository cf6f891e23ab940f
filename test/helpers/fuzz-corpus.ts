import * as encoding from "lib0/encoding";
import { v4 as uuidv4 } from "uuid";
import * as Y from "yjs";
import { newId } from "../../shared/ids.ts";
import {
  addReaction,
  deleteMessage,
  editMessage,
  markRead,
  reactionKey,
  removeReaction,
  roomMaps,
  sendMessage,
} from "../../shared/room-doc/index.ts";
import { BYTE_MUTATIONS, deleteSetUpdate, type Random, substitute } from "./update-fuzz.ts";
import { insertRawMessage, rawFrame, rawMessage, SYNC, syncFrame, validMessageFields, writeUnderClientId } from "./yjs-forgery.ts";

/** What the attacker knows about a live room: its state as a member's tab sees it, and who is in it. */
export interface FuzzTarget {
  documentName: string;
  /** The room as last seen by a member's tab: forks of it make the attacker's updates. */
  base: Y.Doc;
  attacker: string;
  /** The other members' user ids. */
  others: string[];
  /** Yjs client ids others write with (their tabs, the server): targets for forged authorship. */
  othersClientIds: number[];
}

/** One frame to send and what it is, for the report. */
export interface FuzzFrame {
  what: string;
  frame: Uint8Array;
}

interface Message {
  id: string;
  sender: unknown;
  deleted: boolean;
  seq: number | undefined;
}

function messagesOf(doc: Y.Doc): Message[] {
  const { messages, seq } = roomMaps(doc);
  return [...messages.keys()].flatMap((id) => {
    const map = rawMessage(doc, id);
    return map ? [{ id, sender: map.get("sender_id"), deleted: map.get("deleted") === true, seq: seq.get(id) }] : [];
  });
}

const LETTERS = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789|:/.-_🔥é";

/**
 * Strings PostgreSQL's text and jsonb cannot hold or that break UTF-8 (NUL, lone surrogates,
 * which Yjs sends as U+FFFD), and noncharacters, which are storable: none may break a room.
 */
export const UNSTORABLE_STRINGS = ["a\u0000b", "\u0000", "trailing\u0000", "\uD83D", "x\uDC00y", "\uFFFE\uFFFF", "\\u0000"];

function text(r: Random, max = 40): string {
  const chars = [...LETTERS];
  return `${r.pick(chars.slice(0, 26))}${Array.from({ length: r.int(max) }, () => r.pick(chars)).join("")}`;
}

/** Text as a hostile client writes it: now and then with something unstorable in it. */
function hostileText(r: Random, max = 40): string {
  return r.chance(0.1) ? `${text(r, max)}${r.pick(UNSTORABLE_STRINGS)}${text(r, 4)}` : text(r, max);
}

/** Any value lib0 can encode in a map entry (what a hostile client may put anywhere). */
export function anyValue(r: Random, depth = 0): unknown {
  switch (r.int(depth > 2 ? 9 : 12)) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      return r.int(2 ** 31) - 2 ** 30;
    case 3:
      return r.next() * 1e6 - 5e5;
    case 4:
      return hostileText(r);
    case 5:
      return "x".repeat(r.pick([0, 4000, 4001, 10_000]));
    case 6:
      return r.pick([
        newId(),
        uuidv4(),
        new Date().toISOString(),
        "2099-01-01T00:00:00.000Z",
        "not a date",
        "",
        "|||",
        ...UNSTORABLE_STRINGS,
      ]);
    case 7:
      return r.bytes(r.int(8));
    case 8:
      return undefined;
    case 9:
      return Array.from({ length: r.int(12) }, () => anyValue(r, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: r.int(4) }, () => [text(r, 8), anyValue(r, depth + 1)]));
  }
}

const FIELDS = [
  "id",
  "sender_id",
  "type",
  "content",
  "media_urls",
  "attachments",
  "location",
  "reply_to_id",
  "created_at",
  "edited_at",
  "deleted",
  "system_event",
];

/** A field of a message to attack: one of the schema's, now and then one it does not have. */
function field(r: Random): string {
  return r.chance(0.9) ? r.pick(FIELDS) : text(r, 12);
}

/** A value a hostile client might write into `key`: often plausible, sometimes anything. */
function fieldValue(r: Random, key: string, target: FuzzTarget): unknown {
  if (r.chance(0.4)) return anyValue(r);
  switch (key) {
    case "sender_id":
      return r.pick([target.attacker, ...target.others]);
    case "type":
      return r.pick(["text", "image", "file", "location", "system", "poll"]);
    case "content":
      return r.pick([hostileText(r), "", null, "y".repeat(4001), `${text(r)}${r.pick(UNSTORABLE_STRINGS)}`]);
    case "media_urls":
      return r.pick([[], ["https://example.com/a.png"], Array.from({ length: 11 }, (_, i) => `https://e.x/${i}`), ["u".repeat(2049)]]);
    case "attachments": {
      // Forged uploads: no such row, wrong kinds, too many, malformed.
      const forged = { id: newId(), kind: "image", name: "x.png", mime: "image/png", size: 10, width: 2, height: 2 };
      return r.pick([
        [],
        [forged],
        [{ ...forged, kind: "video" }],
        Array.from({ length: 11 }, () => ({ ...forged, id: newId() })),
        [{ id: 1 }],
      ]);
    }
    case "location":
      return r.pick([null, { latitude: 1, longitude: 2 }, { latitude: 91, longitude: 0 }, { latitude: 0 }]);
    case "deleted":
      return r.chance(0.5);
    case "created_at":
    case "edited_at":
      return r.pick([new Date().toISOString(), new Date(Date.now() + 3_600_000).toISOString(), "yesterday", null]);
    case "system_event":
      return { kind: "role_changed", actor_id: r.pick(target.others), target_id: target.attacker, role: "admin" };
    default:
      return newId();
  }
}

/** A nested shared type where the schema holds a plain value (`any`: Yjs types are invariant in their event type). */
function sharedType(r: Random): Y.AbstractType<any> {
  switch (r.int(4)) {
    case 0:
      return new Y.Text(text(r));
    case 1:
      return Y.Array.from([text(r)]);
    case 2:
      return new Y.Map<unknown>([["nested", text(r)]]);
    default:
      return new Y.XmlFragment();
  }
}

/**
 * Something an honest client of the attacker could write (send, edit or delete her own message,
 * react, mark read), made on a fork with a fresh client id. Returns the update and the strings it
 * holds that mutations like to change.
 */
export function honestChange(target: FuzzTarget, r: Random): { update: Uint8Array; strings: string[]; id: string } {
  const { attacker } = target;
  const all = messagesOf(target.base);
  const live = all.filter((m) => !m.deleted);
  const own = live.filter((m) => m.sender === attacker);
  const id = newId();
  const createdAt = new Date().toISOString();
  const write = (doc: Y.Doc) => {
    const choice = r.int(6);
    try {
      if (choice === 1 && own.length > 0) return editMessage(doc, { message_id: r.pick(own).id, actor_id: attacker, content: text(r) });
      if (choice === 2 && own.length > 0) return deleteMessage(doc, { message_id: r.pick(own).id, actor_id: attacker });
      if (choice === 3 && live.length > 0) {
        const input = { message_id: r.pick(live).id, user_id: attacker, emoji: r.pick(["👍", "🔥", "ok"]) };
        return roomMaps(doc).reactions.has(reactionKey(input.message_id, input.emoji, attacker))
          ? removeReaction(doc, input)
          : addReaction(doc, input);
      }
      const sequenced = live.filter((m) => m.seq !== undefined);
      if (choice === 4 && sequenced.length > 0) {
        markRead(doc, { user_id: attacker, message_id: r.pick(sequenced).id });
        if (doc.store.clients.has(doc.clientID)) return;
      }
    } catch {
      // Not possible on this state (say, already marked read): send a message instead.
    }
    sendMessage(doc, {
      id,
      sender_id: attacker,
      content: text(r),
      created_at: createdAt,
      reply_to_id: r.chance(0.3) && all.length > 0 ? r.pick(all).id : null,
    });
  };
  const update = writeUnderClientId(target.base, r.clientId(), write);
  return { update, strings: [id, attacker, createdAt], id };
}

const byteLength = (s: string) => new TextEncoder().encode(s).length;

/** Same-length replacements that turn a field, a key or a value of an honest update into another. */
function substitutions(target: FuzzTarget, strings: string[]): Array<[string, string]> {
  const [id = "", attacker = "", createdAt = ""] = strings;
  const others = messagesOf(target.base).map((m) => m.id);
  return [
    ...target.others.map((other): [string, string] => [attacker, other]),
    ...others.slice(-5).map((other): [string, string] => [id, other]),
    [id, uuidv4()],
    [createdAt, new Date(Date.now() + 86_400_000).toISOString()],
    [createdAt, "yesterday at noon, roughly".slice(0, createdAt.length)],
    [createdAt, "2026-02-30T25:61:00.000Z"],
    ["content", "deleted"],
    ["deleted", "content"],
    ["media_urls", "created_at"],
    ["created_at", "media_urls"],
    ["messages", "receipts"],
    ["messages", "reaction"],
    ["location", "messages"],
    ["receipts", "messages"],
    ["reactions", "sender_id"],
    ["sender_id", "reactions"],
    ["reply_to_id", "system_even"],
    ["text", "file"],
    ["edited_at", "edited_by"],
    ["👍", "a|b|"],
  ];
}

/** Forged writes a hostile member can make with a Yjs client of her own (or someone else's). */
function forgedWrite(target: FuzzTarget, r: Random): { what: string; update: Uint8Array } {
  const { attacker, others } = target;
  const all = messagesOf(target.base);
  const foreign = all.filter((m) => m.sender !== attacker);
  const own = all.filter((m) => m.sender === attacker);
  const someMessage = () => (all.length > 0 ? r.pick(all).id : newId());
  const forgeries: Array<[string, (doc: Y.Doc) => void]> = [
    ["a message in another member's name", (doc) => sendMessage(doc, { sender_id: r.pick(others), content: text(r) })],
    [
      "a system message",
      (doc) =>
        sendMessage(doc, {
          sender_id: attacker,
          type: "system",
          content: text(r),
          system_event: { kind: "role_changed", actor_id: r.pick(others), target_id: attacker, role: "admin" },
        }),
    ],
    [
      "a new message with a bad field",
      (doc) => {
        const key = field(r);
        insertRawMessage(doc, validMessageFields(attacker, { [key]: fieldValue(r, key, target) }));
      },
    ],
    [
      "a new message missing fields",
      (doc) => {
        const fields = validMessageFields(attacker);
        for (const key of FIELDS) if (r.chance(0.3)) delete fields[key];
        insertRawMessage(doc, fields, String(fields.id ?? newId()));
      },
    ],
    [
      "a new message under a key that is not a UUIDv7",
      (doc) => insertRawMessage(doc, validMessageFields(attacker), r.pick([uuidv4(), text(r), ""])),
    ],
    ["a new message keyed by an existing one", (doc) => insertRawMessage(doc, validMessageFields(attacker, { id: someMessage() }))],
    [
      "a shared type inside a message",
      (doc) => insertRawMessage(doc, validMessageFields(attacker, { [r.pick(FIELDS.slice(3))]: sharedType(r) })),
    ],
    ["a shared type as a message", (doc) => roomMaps(doc).messages.set(newId(), sharedType(r) as never)],
    [
      "a field of another member's message",
      (doc) => {
        const m = foreign.length > 0 ? rawMessage(doc, r.pick(foreign).id) : undefined;
        const key = field(r);
        m?.set(key, fieldValue(r, key, target));
      },
    ],
    [
      "a field removed from a message",
      (doc) => {
        const m = all.length > 0 ? rawMessage(doc, r.pick(all).id) : undefined;
        m?.delete(field(r));
      },
    ],
    [
      "an immutable or invalid field of an own message",
      (doc) => {
        const m = own.length > 0 ? rawMessage(doc, r.pick(own).id) : undefined;
        const key = field(r);
        m?.set(key, fieldValue(r, key, target));
      },
    ],
    ["a deeper write into a message", (doc) => rawMessage(doc, someMessage())?.set("content", sharedType(r) as never)],
    ["a message removed", (doc) => roomMaps(doc).messages.delete(someMessage())],
    ["a sequence number", (doc) => roomMaps(doc).seq.set(r.chance(0.5) ? someMessage() : text(r), anyValue(r) as number)],
    ["a sequence number removed", (doc) => roomMaps(doc).seq.delete(someMessage())],
    ["the schema version", (doc) => roomMaps(doc).meta.set(r.chance(0.7) ? "schemaVersion" : text(r), anyValue(r))],
    [
      "a reaction",
      (doc) => {
        const key = r.chance(0.5)
          ? reactionKey(someMessage(), r.pick(["👍", "x".repeat(33), ""]), r.pick([attacker, ...others]))
          : r.pick([text(r), `${newId()}|👍|${attacker}`, `${someMessage()}|a|b|${attacker}`]);
        roomMaps(doc).reactions.set(key, (r.chance(0.5) ? new Date().toISOString() : anyValue(r)) as string);
      },
    ],
    [
      "someone else's reaction removed",
      (doc) => {
        const { reactions } = roomMaps(doc);
        const theirs = [...reactions.keys()].filter((k) => !k.endsWith(attacker));
        if (theirs.length > 0) reactions.delete(r.pick(theirs));
      },
    ],
    [
      "a read receipt",
      (doc) => {
        const m: { id: string; seq: number | undefined } = all.length > 0 ? r.pick(all) : { id: newId(), seq: 1 };
        const value = r.chance(0.6)
          ? { message_id: m.id, seq: r.chance(0.5) ? m.seq : r.int(1000), read_at: new Date().toISOString() }
          : anyValue(r);
        roomMaps(doc).receipts.set(r.chance(0.5) ? r.pick(others) : attacker, value as never);
      },
    ],
    ["someone else's read receipt removed", (doc) => roomMaps(doc).receipts.delete(r.pick(others))],
    [
      "a shared type the schema does not have",
      (doc) => {
        const name = r.pick(["evil", "messages2", "__proto__", "constructor", text(r, 10)]);
        const kind = r.int(4);
        if (kind === 0) doc.getMap(name).set(text(r, 5), anyValue(r));
        else if (kind === 1) doc.getArray(name).push([anyValue(r)]);
        else if (kind === 2) doc.getText(name).insert(0, text(r));
        else doc.getXmlFragment(name).insert(0, [new Y.XmlText(text(r))]);
      },
    ],
  ];
  const [what, attempt] = r.pick(forgeries);
  const write = (doc: Y.Doc) => {
    try {
      attempt(doc);
    } catch {
      // Yjs itself cannot write that (say, `undefined` into an array): the forgery is an empty update.
    }
  };
  // Now and then the forgery rides on a client id someone else writes with.
  const stolen = r.chance(0.15) && target.othersClientIds.length > 0;
  const clientId = stolen ? r.pick(target.othersClientIds) : r.clientId();
  return { what: stolen ? `${what}, under another's client id` : what, update: writeUnderClientId(target.base, clientId, write) };
}

/** One frame in this many is an otherwise valid message whose text holds NUL. */
const NUL_MESSAGE_EVERY = 50;

/** A message valid in every field but its text, which holds NUL (the validator's `invalid_text`). */
function nulMessage(target: FuzzTarget, r: Random): Uint8Array {
  const content = `${text(r, 10)}${r.pick(UNSTORABLE_STRINGS.filter((s) => s.includes("\u0000")))}${text(r, 4)}`;
  return writeUnderClientId(target.base, r.clientId(), (doc) => insertRawMessage(doc, validMessageFields(target.attacker, { content })));
}

/**
 * `count` frames of every kind: random bytes, random frames, honest updates, honest updates with
 * bytes flipped, cut, duplicated, with fields or values swapped in place, and forged writes.
 */
export function fuzzFrames(target: FuzzTarget, r: Random, count: number): FuzzFrame[] {
  const name = target.documentName;
  const framed = (update: Uint8Array) => syncFrame(name, r.chance(0.7) ? SYNC.update : SYNC.step2, update);
  const frames: FuzzFrame[] = [];
  while (frames.length < count) {
    const roll = r.next();
    if (frames.length % NUL_MESSAGE_EVERY === 0) {
      // A fixed share, not a roll: every run must reach the text rule, whatever the seed.
      frames.push({ what: "an otherwise valid message whose text holds NUL", frame: framed(nulMessage(target, r)) });
    } else if (roll < 0.1) {
      frames.push({ what: "random bytes as an update", frame: framed(r.bytes(r.int(300))) });
    } else if (roll < 0.15) {
      frames.push({ what: "a random frame", frame: rawFrame(name, (e) => encoding.writeUint8Array(e, r.bytes(1 + r.int(64)))) });
    } else if (roll < 0.2) {
      frames.push({ what: "an honest update", frame: framed(honestChange(target, r).update) });
    } else if (roll < 0.5) {
      const [mutation, mutate] = r.pick(BYTE_MUTATIONS);
      const update = mutate(honestChange(target, r).update, r, honestChange(target, r).update);
      frames.push({ what: `an honest update, ${mutation}`, frame: framed(update) });
    } else if (roll < 0.75) {
      const { update, strings } = honestChange(target, r);
      const candidates = substitutions(target, strings).filter(
        ([from, to]) => from.length > 0 && byteLength(from) === byteLength(to) && substitute(update, from, from) !== null,
      );
      let mutated = update;
      for (let n = 1 + r.int(2); n > 0 && candidates.length > 0; n--) {
        const [from, to] = r.pick(candidates);
        mutated = substitute(mutated, from, to) ?? mutated;
      }
      frames.push({ what: "an honest update with a field mutated in place", frame: framed(mutated) });
    } else {
      const { what, update } = forgedWrite(target, r);
      frames.push({ what, frame: framed(update) });
    }
  }
  return frames;
}

/**
 * Updates that delete what the attacker may not: ranges of other clients' items, empty ranges, clocks
 * nobody has written yet; alone or riding on an honest update.
 */
export function forgedDeletionFrames(target: FuzzTarget, r: Random, count: number): FuzzFrame[] {
  const clients = [...target.base.store.clients.keys()];
  const frames: FuzzFrame[] = [];
  while (frames.length < count) {
    const client = r.chance(0.8) ? r.pick(target.othersClientIds) : r.pick(clients);
    const known = Y.getState(target.base.store, client);
    const roll = r.int(5);
    const range =
      roll === 0
        ? { what: "another client's future items deleted", client, clock: known + r.int(3), length: 1 + r.int(2000) }
        : roll === 1
          ? {
              what: "a range up to and past another client's last item deleted",
              client,
              clock: Math.max(0, known - 1 - r.int(20)),
              length: 1 + r.int(60),
            }
          : roll === 2
            ? { what: "an empty range deleted", client, clock: r.int(known + 3), length: 0 }
            : {
                what: "a range of a client's items deleted",
                client,
                clock: r.int(Math.max(1, known)),
                length: 1 + r.int(Math.max(1, known)),
              };
    let update = deleteSetUpdate([range]);
    let what = range.what;
    if (r.chance(0.3)) {
      update = Y.mergeUpdates([honestChange(target, r).update, update]);
      what = `${what}, riding on an honest update`;
    }
    frames.push({ what, frame: syncFrame(target.documentName, r.chance(0.7) ? SYNC.update : SYNC.step2, update) });
  }
  return frames;
}
