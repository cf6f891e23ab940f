import * as encoding from "lib0/encoding";
import * as Y from "yjs";
import { newId } from "../../shared/ids.ts";
import { roomMaps } from "../../shared/room-doc/index.ts";

// Wire numbers a misbehaving client writes by hand: the Hocuspocus message type of a Yjs sync
// message (packages/server/src/types.ts MessageType.Sync) and the y-protocols sync steps.
const HOCUSPOCUS_SYNC = 0;
/** y-protocols sync message types (y-protocols/sync.js). */
export const SYNC = { step1: 0, step2: 1, update: 2 } as const;

/** One Hocuspocus frame for `documentName`: its address, then whatever `write` puts after it. */
export function rawFrame(documentName: string, write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, documentName);
  write(encoder);
  return encoding.toUint8Array(encoder);
}

/** A Yjs sync message carrying `payload` as its update, exactly as a provider frames one. */
export function syncFrame(documentName: string, step: number, payload: Uint8Array): Uint8Array {
  return rawFrame(documentName, (encoder) => {
    encoding.writeVarUint(encoder, HOCUSPOCUS_SYNC);
    encoding.writeVarUint(encoder, step);
    encoding.writeVarUint8Array(encoder, payload);
  });
}

/**
 * The update made by `write` on a copy of `base` whose Yjs client id is `clientID`: items that
 * claim to come from whoever owns that id. Apply it to a provider's doc to send it.
 */
export function writeUnderClientId(base: Y.Doc, clientID: number, write: (doc: Y.Doc) => void): Uint8Array {
  const forged = new Y.Doc();
  Y.applyUpdate(forged, Y.encodeStateAsUpdate(base));
  // Only after applying: Yjs gives a doc a new client id when a remote update carries its own.
  forged.clientID = clientID;
  const before = Y.encodeStateVector(forged);
  write(forged);
  const update = Y.encodeStateAsUpdate(forged, before);
  forged.destroy();
  return update;
}

/** A text message with every stored field valid, for tests that then break one of them. */
export function validMessageFields(senderId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: newId(),
    sender_id: senderId,
    type: "text",
    content: "hello",
    media_urls: [],
    attachments: [],
    location: null,
    reply_to_id: null,
    created_at: new Date().toISOString(),
    edited_at: null,
    deleted: false,
    system_event: null,
    ...overrides,
  };
}

/**
 * Insert a message map with exactly `fields`, bypassing every check sendMessage makes (as a
 * buggy or hostile client could). The key is `fields.id` unless `key` is given.
 */
export function insertRawMessage(doc: Y.Doc, fields: Record<string, unknown>, key = String(fields.id)): string {
  doc.transact(() => roomMaps(doc).messages.set(key, new Y.Map<unknown>(Object.entries(fields))));
  return key;
}

/** The nested map of a message as stored, whatever it holds. */
export function rawMessage(doc: Y.Doc, messageId: string): Y.Map<unknown> | undefined {
  const value: unknown = roomMaps(doc).messages.get(messageId);
  return value instanceof Y.Map ? (value as Y.Map<unknown>) : undefined;
}

/** Every `content` value stored in the document, including those reads would hide (deleted messages). */
export function storedContents(doc: Y.Doc): unknown[] {
  const contents: unknown[] = [];
  for (const value of roomMaps(doc).messages.values() as IterableIterator<unknown>) {
    if (value instanceof Y.Map) contents.push(value.get("content"));
  }
  return contents;
}
