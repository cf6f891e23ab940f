import * as Y from "yjs";
import { isUuid } from "../ids.ts";
import {
  type Attachment,
  parseReactionKey,
  type ReceiptView,
  ROOM_DOC_LIMITS,
  repliesReachEarlierSegments,
  roomMaps,
  segmentNumberOf,
} from "../room-doc/index.ts";
import { firstUnstorableText } from "../text/storable.ts";
import { indexStructs, type Location, Locator } from "./locate.ts";
import {
  checkFieldValue,
  checkMessageId,
  IMMUTABLE_FIELDS,
  isModerationValue,
  MAX_CLOCK_SKEW_MS,
  MAX_UPDATE_BYTES,
  parseReceipt,
  REQUIRED_FIELDS,
  Refusal,
  type RefusalCode,
} from "./rules.ts";

/** Who sent an update, as the server authenticated them. */
export interface UpdateAuthor {
  userId: string;
  /** A room admin of a group or a server admin: may delete (not edit) others' messages. */
  mayModerate: boolean;
}

/** The verdict on one update. */
export type Verdict =
  | {
      ok: true;
      /** False when the update holds nothing the server lacks (an honest reconnect often). */
      changes: boolean;
      /** Yjs client ids this update writes with for the first time: bind them to its author. */
      claimedClientIds: number[];
      /** The author's receipt before a stale tab moved it backwards: the server restores it. */
      receiptFloor: ReceiptView | null;
      /** How many messages the update creates (for the message rate limits). */
      newMessages: number;
      /** The ids of the messages it creates (the server checks no other room uses them). */
      newMessageIds: string[];
      /** The text of each message the update creates or edits (for the content filter). */
      texts: string[];
      /**
       * The uploads each new message carries, for the server to check against what was uploaded
       * (the validator sees only the document, not the uploads table).
       */
      attachments: Array<{ messageId: string; attachments: Attachment[] }>;
      /**
       * The messages the update creates, field by field as written (asked only when the server
       * must write them elsewhere: a segment sealed meanwhile, docs/architecture.md "Long-lived rooms").
       */
      createdMessages(): Array<Record<string, unknown>>;
    }
  | {
      ok: false;
      code: RefusalCode;
      message: string;
      /**
       * Set when the only fault is that the update continues its author's changes the server
       * never received: an honest client's updates sent before the sync exchange that fills the
       * gap (a reconnect). Not applied, and not an attack: the sync exchange brings it again.
       */
      missingDependencies?: true;
    };

interface NewMessage {
  id: string;
  fields: Map<string, unknown[]>;
}

/**
 * Judge a client's update to a room document before the server applies, broadcasts or stores
 * it. Only what the update changes relative to the server's document is judged: items the server
 * has and deletions it already applied are no-ops. `bindings` maps each Yjs client id of the
 * document to the user who first wrote with it (null: the server). Pure: it changes nothing.
 */
export function validateRoomUpdate(
  doc: Y.Doc,
  update: Uint8Array,
  author: UpdateAuthor,
  bindings: ReadonlyMap<number, string | null>,
  now: number = Date.now(),
): Verdict {
  try {
    return judge(doc, update, author, bindings, now);
  } catch (error) {
    if (error instanceof Refusal) {
      return error.missingDependencies
        ? { ok: false, code: error.code, message: error.message, missingDependencies: true }
        : { ok: false, code: error.code, message: error.message };
    }
    // Yjs throws on bytes that are not an update; nothing else may escape.
    return { ok: false, code: "invalid_update", message: "The update could not be decoded." };
  }
}

function judge(doc: Y.Doc, update: Uint8Array, author: UpdateAuthor, bindings: ReadonlyMap<number, string | null>, now: number): Verdict {
  if (update.length > MAX_UPDATE_BYTES) throw new Refusal("update_too_large", `Updates are limited to ${MAX_UPDATE_BYTES} bytes.`);
  const decoded = Y.decodeUpdate(update);
  const index = indexStructs(decoded.structs);
  const locator = new Locator(doc, index);

  const claimed = new Set<number>();
  const newItems: Y.Item[] = [];
  const updateEnds = new Map<number, number>();
  let gap = false;
  for (const [client, structs] of index) {
    const known = Y.getState(doc.store, client);
    const last = structs.at(-1);
    if (last) updateEnds.set(client, last.id.clock + last.length);
    const fresh = structs.filter((s) => s.id.clock + s.length > known);
    if (fresh.length === 0) continue;
    const owner = bindings.get(client);
    if (owner !== undefined && owner !== author.userId)
      throw new Refusal("forged_author", "The update writes with another user's client id.");
    // An update must continue where the server's copy of that client ends: a gap means it
    // depends on changes the server never received.
    if ((fresh[0] as Y.Item | Y.GC | Y.Skip).id.clock > known || fresh.some((s) => s instanceof Y.Skip)) {
      gap = true;
      continue;
    }
    if (owner === undefined) claimed.add(client);
    for (const s of fresh) if (s instanceof Y.Item) newItems.push(s);
  }
  if (gap) throw new Refusal("invalid_update", "The update depends on changes the server does not have.", true);
  for (const item of newItems) checkStorable(item);

  const creations = new Map<Y.Item, NewMessage>();
  const located = newItems.map((item) => {
    const at = locator.locate(item);
    if (!at) throw new Refusal("invalid_update", "The update refers to items the server does not have.");
    if (at.kind === "root" && at.root === "messages" && at.key !== null) {
      creations.set(item, { id: at.key, fields: new Map() });
    }
    return { item, at };
  });
  const messageIdsKnown = (id: string) => roomMaps(doc).messages.has(id) || [...creations.values()].some((m) => m.id === id);

  let receiptFloor: ReceiptView | null = null;
  const texts: string[] = [];
  for (const { item, at } of located) {
    const floor = judgeWrite(doc, item, at, author, creations, messageIdsKnown);
    if (floor) receiptFloor = floor;
    if (at.kind === "field" && at.key === "content" && item.content instanceof Y.ContentAny) {
      const value = item.content.arr[0];
      if (typeof value === "string") texts.push(value);
    }
  }
  const laterSegment = repliesReachEarlierSegments(doc);
  for (const message of creations.values()) judgeCreation(message, author, now, messageIdsKnown, laterSegment);
  const redeleted = new Set(
    located.flatMap(({ item, at }) =>
      at.kind === "field" && at.key === "deleted" && item.content instanceof Y.ContentAny && item.content.arr[0] === true
        ? [at.messageId]
        : [],
    ),
  );
  // Attachments go only with the message: clearing them is part of deleting it (or it is deleted already).
  for (const { at } of located) {
    if (at.kind === "field" && at.key === "attachments" && !creations.has(at.holder)) assertDeletedWith(doc, at.messageId, redeleted);
  }
  const deletions = judgeDeletions(doc, decoded.ds, locator, author, updateEnds, redeleted);

  return {
    ok: true,
    changes: newItems.length > 0 || deletions > 0 || claimed.size > 0,
    claimedClientIds: [...claimed],
    receiptFloor,
    newMessages: creations.size,
    newMessageIds: [...creations.values()].map((m) => m.id),
    texts,
    attachments: [...creations.values()].flatMap((m) => {
      const carried = (m.fields.get("attachments") ?? []).flat() as Attachment[];
      return carried.length > 0 ? [{ messageId: m.id, attachments: carried }] : [];
    }),
    createdMessages: () =>
      [...creations.values()].map((m) => ({ ...Object.fromEntries([...m.fields].map(([key, values]) => [key, values.at(-1)])), id: m.id })),
  };
}

/**
 * Refuse a key or value the database could not hold (NUL, a lone surrogate), wherever it sits:
 * the relational mirror, push previews and reports copy these strings into text and jsonb.
 */
function checkStorable(item: Y.Item): void {
  const key = item.parentSub;
  const values =
    item.content instanceof Y.ContentAny ? item.content.arr : item.content instanceof Y.ContentString ? [item.content.str] : [];
  if (firstUnstorableText([key, ...values]) !== null) {
    throw new Refusal("invalid_text", "Text may not contain NUL characters or broken Unicode (lone surrogates).");
  }
}

/** The value an item writes: a map entry holds one plain value; deleted content holds none. */
function writtenValue(item: Y.Item): { deleted: true } | { deleted: false; value: unknown } {
  if (item.content instanceof Y.ContentDeleted) return { deleted: true };
  if (item.content instanceof Y.ContentAny && item.content.arr.length === 1) return { deleted: false, value: item.content.arr[0] };
  throw new Refusal("schema_violation", "Room documents hold plain values and message maps only.");
}

function judgeWrite(
  doc: Y.Doc,
  item: Y.Item,
  at: Location,
  author: UpdateAuthor,
  creations: Map<Y.Item, NewMessage>,
  messageExists: (id: string) => boolean,
): ReceiptView | null {
  if (at.kind === "outside") throw new Refusal("schema_violation", "The update writes below a message's fields.");
  if (at.kind === "field") {
    if (at.key === null) throw new Refusal("schema_violation", "Message fields are map keys.");
    const creation = creations.get(at.holder);
    const written = writtenValue(item);
    if (creation) {
      if (!written.deleted) creation.fields.set(at.key, [...(creation.fields.get(at.key) ?? []), written.value]);
      return null;
    }
    judgeFieldChange(doc, at.messageId, at.key, written, author);
    return null;
  }
  if (at.key === null) throw new Refusal("schema_violation", `"${at.root}" is a map of keys.`);
  switch (at.root) {
    case "messages":
      checkMessageId(at.key);
      if (!(item.content instanceof Y.ContentType) || !(item.content.type instanceof Y.Map)) {
        throw new Refusal("schema_violation", "A message is a map of fields.");
      }
      if (roomMaps(doc).messages.has(at.key)) throw new Refusal("not_permitted", "A message cannot be replaced; edit it instead.");
      return null;
    case "reactions": {
      const reaction = parseReactionKey(at.key);
      if (!reaction || reaction.emoji.length === 0 || reaction.emoji.length > ROOM_DOC_LIMITS.emojiChars) {
        throw new Refusal("schema_violation", "Reaction keys are message|emoji|user.");
      }
      if (reaction.userId !== author.userId) throw new Refusal("not_permitted", "Only your own reactions.");
      if (!messageExists(reaction.messageId)) throw new Refusal("schema_violation", "A reaction names a message of this room.");
      const written = writtenValue(item);
      if (!written.deleted && typeof written.value !== "string")
        throw new Refusal("schema_violation", "A reaction's value is the time added.");
      return null;
    }
    case "receipts": {
      if (at.key !== author.userId) throw new Refusal("not_permitted", "Only your own read receipt.");
      const written = writtenValue(item);
      if (written.deleted) return null;
      const receipt = parseReceipt(written.value);
      // Markers live in the head (docs/architecture.md "Long-lived rooms"). One at a message of a
      // later segment, whose number only that segment knows, is moved by the server (REST
      // mark_read): taken from a client it could name any number and show the user as having
      // read what nobody wrote yet.
      if (segmentNumberOf(doc) > 0) throw new Refusal("not_permitted", "Read markers are kept in the room's head document.");
      if (roomMaps(doc).seq.get(receipt.message_id) !== receipt.seq) {
        throw new Refusal("schema_violation", "A read receipt names an accepted message and its sequence number.");
      }
      // A stale tab may move the marker back; it is accepted and the server restores the furthest.
      const current = roomMaps(doc).receipts.get(author.userId);
      return current && typeof current.seq === "number" && current.seq > receipt.seq ? current : null;
    }
    case "seq":
    case "meta":
      throw new Refusal("not_permitted", `Only the server writes "${at.root}".`);
    default:
      throw new Refusal("schema_violation", `Room documents have no "${at.root}".`);
  }
}

/** A change to a field of a message the server already has. */
function judgeFieldChange(
  doc: Y.Doc,
  messageId: string,
  key: string,
  written: { deleted: true } | { deleted: false; value: unknown },
  author: UpdateAuthor,
): void {
  const message = roomMaps(doc).messages.get(messageId);
  if (!(message instanceof Y.Map)) throw new Refusal("schema_violation", "Fields belong to a message map.");
  if (IMMUTABLE_FIELDS.has(key)) throw new Refusal("not_permitted", `A message's "${key}" never changes.`);
  if (!written.deleted) checkFieldValue(key, written.value);
  // What a message carries is fixed when it is sent (the server checked each upload then);
  // deleting the message clears it, and that is the only change (see assertDeletedWith).
  if (key === "attachments" && !written.deleted && !isModerationValue(key, written.value)) {
    throw new Refusal("not_permitted", "A message's attachments are set when it is sent; they can only be cleared by deleting it.");
  }
  const isSender = message.get("sender_id") === author.userId && message.get("type") !== "system";
  if (!written.deleted && key === "deleted" && written.value === false && message.get("deleted") === true) {
    throw new Refusal("not_permitted", "A deleted message stays deleted.");
  }
  if (isSender) return;
  if (author.mayModerate && (written.deleted || isModerationValue(key, written.value))) return;
  throw new Refusal("not_permitted", "Only the sender may change a message; moderators may only delete it.");
}

/** A message the update creates: whole, in its author's name, within the schema and the limits. */
function judgeCreation(
  message: NewMessage,
  author: UpdateAuthor,
  now: number,
  messageExists: (id: string) => boolean,
  laterSegment: boolean,
): void {
  for (const key of REQUIRED_FIELDS) {
    if (!message.fields.has(key)) throw new Refusal("schema_violation", `A new message needs "${key}".`);
  }
  // What each type needs (as sendMessage requires), satisfied by some value of the field.
  const some = (key: string, ok: (value: unknown) => boolean) => (message.fields.get(key) ?? []).some(ok);
  const nonEmpty = (v: unknown) => Array.isArray(v) && v.length > 0;
  const needs: Record<string, [string, () => boolean]> = {
    text: ["content", () => some("content", (v) => typeof v === "string" && v.trim().length > 0)],
    image: ["media urls or attachments", () => some("media_urls", nonEmpty) || some("attachments", nonEmpty)],
    file: ["media urls or attachments", () => some("media_urls", nonEmpty) || some("attachments", nonEmpty)],
    location: ["location", () => some("location", (v) => v !== null && typeof v === "object")],
  };
  for (const type of message.fields.get("type") ?? []) {
    const need = needs[String(type)];
    const deleted = some("deleted", (v) => v === true);
    if (need && !deleted && !need[1]()) throw new Refusal("schema_violation", `A ${String(type)} message needs its ${need[0]}.`);
  }
  for (const [key, values] of message.fields) {
    for (const value of values) {
      checkFieldValue(key, value);
      if (key === "id" && value !== message.id) throw new Refusal("schema_violation", "A message's id field is its key.");
      if (key === "sender_id" && value !== author.userId) throw new Refusal("forged_author", "Messages are sent in your own name only.");
      if (key === "type" && value === "system") throw new Refusal("not_permitted", "Only the server writes system messages.");
      if (key === "system_event" && value !== null) throw new Refusal("not_permitted", "Only the server writes system messages.");
      if (key === "created_at" && Date.parse(value as string) > now + MAX_CLOCK_SKEW_MS) {
        throw new Refusal("clock_skew", "The message is dated in the future: check the device clock.");
      }
      if (key === "reply_to_id" && typeof value === "string" && !messageExists(value) && !(laterSegment && isUuid(value))) {
        throw new Refusal("reply_target_missing", "The message replied to is not in this room.");
      }
    }
  }
}

/** The sender (not of a system message) or a moderator may delete a message. */
function mayDelete(doc: Y.Doc, messageId: string, author: UpdateAuthor): boolean {
  const message = roomMaps(doc).messages.get(messageId);
  if (!(message instanceof Y.Map)) return false;
  return author.mayModerate || (message.get("sender_id") === author.userId && message.get("type") !== "system");
}

/**
 * Deletions the server has not applied yet, each allowed for the author; returns how many. A
 * range may only cover what exists: the server's items and the update's own new ones. A range
 * reaching past both would be kept pending by Yjs and delete items that arrive later (anyone's),
 * and an empty one breaks Yjs when the stored log is loaded again.
 */
function judgeDeletions(
  doc: Y.Doc,
  ds: ReturnType<typeof Y.decodeUpdate>["ds"],
  locator: Locator,
  author: UpdateAuthor,
  updateEnds: Map<number, number>,
  redeleted: Set<string>,
): number {
  let count = 0;
  for (const [client, ranges] of ds.clients) {
    const known = Y.getState(doc.store, client);
    const exists = Math.max(known, updateEnds.get(client) ?? 0);
    for (const { clock, len } of ranges) {
      if (len <= 0 || clock + len > exists) throw new Refusal("invalid_update", "The update deletes changes that do not exist.");
      const end = Math.min(clock + len, known);
      const structs = doc.store.clients.get(client) ?? [];
      // Walk every struct in the range, garbage-collected ones included (they are already deleted).
      for (let i = clock < end ? Y.findIndexSS(structs, clock) : structs.length; i < structs.length; i++) {
        const struct = structs[i] as Y.Item | Y.GC;
        if (struct.id.clock >= end) break;
        if (!(struct instanceof Y.Item) || struct.deleted) continue;
        judgeDeletion(doc, struct, locator.locate(struct), author, redeleted);
        count++;
      }
    }
  }
  return count;
}

/** Refuse changing a message's attachments unless the update deletes it, or it is deleted already. */
function assertDeletedWith(doc: Y.Doc, messageId: string, redeleted: Set<string>): void {
  const message = roomMaps(doc).messages.get(messageId);
  if (redeleted.has(messageId) || (message instanceof Y.Map && message.get("deleted") === true)) return;
  throw new Refusal("not_permitted", "A message's attachments go only when the message is deleted.");
}

function judgeDeletion(doc: Y.Doc, item: Y.Item, at: Location | null, author: UpdateAuthor, redeleted: Set<string>): void {
  if (at?.kind === "field" && at.key !== null) {
    if (at.key === "attachments") assertDeletedWith(doc, at.messageId, redeleted);
    // Removing the `deleted: true` mark would bring a deleted message back, unless the update
    // marks it deleted again (two tabs, or sender and moderator, deleting the same message).
    if (at.key === "deleted" && item.content instanceof Y.ContentAny && item.content.arr[0] === true && !redeleted.has(at.messageId)) {
      throw new Refusal("not_permitted", "A deleted message stays deleted.");
    }
    judgeFieldChange(doc, at.messageId, at.key, { deleted: true }, author);
    return;
  }
  if (at?.kind === "root" && at.key !== null) {
    const reaction = at.root === "reactions" ? parseReactionKey(at.key) : null;
    if (reaction?.userId === author.userId) return;
    // Deleting a message clears its reactions: whoever may delete it may clear them.
    if (reaction && mayDelete(doc, reaction.messageId, author)) return;
    if (at.root === "receipts" && at.key === author.userId) return;
    if (at.root === "messages") throw new Refusal("not_permitted", "Messages are deleted by marking them deleted, not removed.");
  }
  throw new Refusal("not_permitted", "The update removes what this user may not remove.");
}
