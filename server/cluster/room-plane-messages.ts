import { z } from "zod";

/**
 * The messages processes exchange about rooms over Redis (JSON; Yjs bytes in base64). Two kinds
 * of channel: one per loaded room (`room:<document>`), on which its owner announces itself and
 * fans out every committed log entry and every process its clients' awareness; and one per
 * process (`proc:<id>`), on which others forward their clients' updates and REST changes to the
 * room's owner and the owner answers.
 */

const bytes = z.string();

/** On a room's channel. */
export const roomMessageSchema = z.discriminatedUnion("t", [
  /** A committed log entry: `prev` is the owner's previous entry of the room (a gap means a miss). */
  z.object({ t: z.literal("entry"), owner: z.string(), prev: z.number(), id: z.number(), update: bytes }),
  /** The owner's newest entry, sent again after publishing failed (Redis away): a replica behind it catches up. */
  z.object({ t: z.literal("head"), owner: z.string(), id: z.number() }),
  /** A process took the room's lease: forward to it from now on. */
  z.object({ t: z.literal("owner"), owner: z.string(), epoch: z.number() }),
  /** The owner gave the lease up (the room unloaded there): whoever still serves it takes it. */
  z.object({ t: z.literal("released"), owner: z.string() }),
  /** Awareness of one process's clients (typing, in-room presence). */
  z.object({ t: z.literal("aw"), from: z.string(), update: bytes }),
]);
export type RoomMessage = z.infer<typeof roomMessageSchema>;

const sessionUserSchema = z.object({
  id: z.string(),
  username: z.string(),
  display_name: z.string().nullable(),
  avatar_url: z.string().nullable(),
  is_server_admin: z.boolean(),
});

const writeAuthorSchema = z.object({
  origin: z.enum(["connection", "rest", "server"]),
  userId: z.string().nullable(),
  connectionId: z.string().nullable(),
});

/** What the owner answers a forwarded update or change with. */
export const outcomeSchema = z.discriminatedUnion("kind", [
  /**
   * Judged and applied by the owner, queued for its next commit: the forwarding process applies
   * it too and holds what it shows of it until `stored` follows. The client ids it bound to its user.
   */
  z.object({ kind: z.literal("accepted"), claimed: z.array(z.number()) }),
  /** The accepted update is stored (its entry was fanned out before this answer). */
  z.object({ kind: z.literal("stored") }),
  /** Nothing new for the room (stored once everything before it was). */
  z.object({ kind: z.literal("unchanged") }),
  /** It continues changes the room lacks: ask the client for them (see GapDeferral). */
  z.object({ kind: z.literal("deferred") }),
  z.object({ kind: z.literal("refused"), code: z.string(), message: z.string() }),
  /** The REST change's result (JSON), stored and fanned out. */
  z.object({ kind: z.literal("result"), value: z.unknown() }),
  /** The document model refused the REST change (its RoomDocError). */
  z.object({ kind: z.literal("room_doc_error"), code: z.string(), message: z.string() }),
  /** This process does not sequence the room (any more): look the owner up again. */
  z.object({ kind: z.literal("not_owner") }),
  z.object({ kind: z.literal("failed"), message: z.string() }),
]);
export type Outcome = z.infer<typeof outcomeSchema>;

/** On a process's channel. */
export const processMessageSchema = z.discriminatedUnion("t", [
  z.object({
    t: z.literal("update"),
    req: z.string(),
    from: z.string(),
    document: z.string(),
    user: sessionUserSchema,
    socketId: z.string(),
    payload: bytes,
  }),
  z.object({
    t: z.literal("change"),
    req: z.string(),
    from: z.string(),
    document: z.string(),
    author: writeAuthorSchema,
    name: z.string(),
    input: z.unknown(),
  }),
  z.object({ t: z.literal("reply"), req: z.string(), outcome: outcomeSchema }),
]);
export type ProcessMessage = z.infer<typeof processMessageSchema>;

export const toBase64 = (data: Uint8Array): string => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
export const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "base64"));

export const roomChannel = (documentName: string) => `room:${documentName}`;
export const processChannel = (processId: string) => `proc:${processId}`;
