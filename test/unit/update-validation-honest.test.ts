import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { newId } from "../../shared/ids.ts";
import {
  addReaction,
  assignSequenceNumbers,
  deleteMessage,
  editMessage,
  initRoomDoc,
  listMessages,
  markRead,
  type ReceiptView,
  RoomDocError,
  removeReaction,
  roomDocToJSON,
  roomMaps,
  sendMessage,
} from "../../shared/room-doc/index.ts";
import { type UpdateAuthor, validateRoomUpdate } from "../../shared/update-validation/index.ts";

const USERS = [newId(), newId(), newId(), newId()];
const EMOJI = ["👍", "💪", "🔥"];
const MINUTE = 60_000;
/** Marks updates a client received from the server, so they are not queued as its own live updates. */
const FROM_SERVER = Symbol("from server");

/** One thing a user does on their own replica through the room-doc model, online or not. */
type Action =
  /** `reply` picks a message the replica shows to reply to; null sends a plain message. */
  | { kind: "send"; text: string; reply: number | null }
  | { kind: "edit"; pick: number; text: string }
  /** Delete an own message, or, for the room admin (user 0) when `moderate`, someone else's. */
  | { kind: "delete"; pick: number; moderate: boolean }
  | { kind: "react"; pick: number; emoji: number; remove: boolean }
  | { kind: "read"; pick: number };

/**
 * A step of the history. Clients talk only to the server, as over the WebSocket:
 * - `act`/`offline`: a client does one or many things without talking to anyone;
 * - `push`: it sends what the server lacks (the provider's SyncStep2 on reconnect);
 * - `pushLive`: it sends its next `count` local updates one by one (the provider's live updates);
 * - `replay`: it sends again its whole state, or one live update it already sent;
 * - `pull`/`pullSome`: it receives everything it lacks, or the server's next `count` broadcasts;
 * - `reconnect`: it receives the server's state and then answers with what the server lacks, the
 *   order a provider's handshake takes (the server's SyncStep2 arrives before its SyncStep1).
 */
type Step =
  | { kind: "act"; client: number; action: Action }
  | { kind: "offline"; client: number; actions: Action[] }
  | { kind: "push"; client: number }
  | { kind: "pushLive"; client: number; count: number }
  | { kind: "replay"; client: number; pick: number | null }
  | { kind: "pull"; client: number }
  | { kind: "pullSome"; client: number; count: number }
  | { kind: "reconnect"; client: number };

const textArb = fc.string({ minLength: 1, maxLength: 10 }).filter((s) => s.trim().length > 0);

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("send" as const), text: textArb, reply: fc.option(fc.nat(), { freq: 4 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("edit" as const), pick: fc.nat(), text: textArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), pick: fc.nat(), moderate: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("react" as const),
      pick: fc.nat(),
      emoji: fc.nat({ max: EMOJI.length - 1 }),
      remove: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("read" as const), pick: fc.nat() }) },
);

function historyArb(clients: number): fc.Arbitrary<Step[]> {
  const client = fc.nat({ max: clients - 1 });
  const count = fc.integer({ min: 1, max: 4 });
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant("act" as const), client, action: actionArb }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("offline" as const),
        client,
        actions: fc.array(actionArb, { minLength: 3, maxLength: 12 }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("push" as const), client }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("pushLive" as const), client, count }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("replay" as const), client, pick: fc.option(fc.nat(), { freq: 2 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("pull" as const), client }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("pullSome" as const), client, count }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("reconnect" as const), client }) },
  );
  return fc.array(step, { minLength: 10, maxLength: 50, size: "max" });
}

/**
 * 2–4 users, user 0 the room admin; one of them also has a second tab. Every replica's Yjs client
 * id comes from the arbitrary: which of two concurrent writes wins a map key depends on it, so a
 * failure must replay with the same ids.
 */
const scenarioArb = fc.integer({ min: 2, max: 4 }).chain((users) =>
  fc.record({
    users: fc.constant(users),
    secondTabOf: fc.nat({ max: users - 1 }),
    clientIds: fc.uniqueArray(fc.integer({ min: 1, max: 2 ** 31 - 1 }), { minLength: users + 2, maxLength: users + 2 }),
    // Clocks off by up to two hours behind or four minutes ahead (within the server's skew limit).
    skews: fc.array(fc.integer({ min: -120 * MINUTE, max: 4 * MINUTE }), { minLength: users + 1, maxLength: users + 1 }),
    history: historyArb(users + 1),
  }),
);

/** Run an action an honest UI may offer; a RoomDocError means this replica's state does not allow it (so the UI would not offer it). */
function tolerate(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof RoomDocError)) throw error;
  }
}

function pickFrom<T>(list: readonly T[], pick: number): T | undefined {
  return list.length === 0 ? undefined : list[pick % list.length];
}

/** One replica of one user: a device or a browser tab, with the local updates it made, in order. */
interface Client {
  user: string;
  author: UpdateAuthor;
  doc: Y.Doc;
  live: Uint8Array[];
  /** How many of `live` the server has been sent (a full push sends them all). */
  liveSent: number;
  /** How many of the server's broadcasts `pullSome` has delivered. */
  pulled: number;
}

describe("update validation never refuses an honest client", () => {
  it("random offline histories of 2–4 users (one with two tabs) and a server: every push accepted, every replica identical", () => {
    fc.assert(
      fc.property(scenarioArb, ({ users, secondTabOf, clientIds, skews, history }) => {
        const server = new Y.Doc();
        server.clientID = clientIds[0] as number;
        initRoomDoc(server);
        const broadcasts: Uint8Array[] = [];
        server.on("update", (update: Uint8Array) => broadcasts.push(update));
        const bindings = new Map<number, string | null>([[server.clientID, null]]);

        const owners = [...USERS.slice(0, users), USERS[secondTabOf] as string];
        const clients: Client[] = owners.map((user, i) => {
          const doc = new Y.Doc();
          doc.clientID = clientIds[i + 1] as number;
          const client: Client = { user, author: { userId: user, mayModerate: user === USERS[0] }, doc, live: [], liveSent: 0, pulled: 0 };
          doc.on("update", (update: Uint8Array, origin: unknown) => {
            if (origin !== FROM_SERVER) client.live.push(update);
          });
          return client;
        });
        const sent = new Set<string>();

        /** The server's gate: judge, and on acceptance bind, apply, sequence and restore the read marker. */
        function deliver(client: Client, update: Uint8Array, what: string): void {
          const verdict = validateRoomUpdate(server, update, client.author, bindings);
          if (!verdict.ok) {
            const index = clients.indexOf(client);
            throw new Error(
              `${what} of client ${index} (user ${owners.indexOf(client.user)}) refused: ${verdict.code}: ${verdict.message}`,
            );
          }
          for (const id of verdict.claimedClientIds) bindings.set(id, client.author.userId);
          Y.applyUpdate(server, update);
          assignSequenceNumbers(server);
          if (verdict.receiptFloor) restoreReceipt(client.author.userId, verdict.receiptFloor);
        }
        function restoreReceipt(userId: string, floor: ReceiptView): void {
          const { receipts } = roomMaps(server);
          const now = receipts.get(userId);
          if (!now || now.seq < floor.seq) receipts.set(userId, floor);
        }
        function push(client: Client): void {
          deliver(client, Y.encodeStateAsUpdate(client.doc, Y.encodeStateVector(server)), "a push");
          client.liveSent = client.live.length;
        }
        function pull(client: Client): void {
          Y.applyUpdate(client.doc, Y.encodeStateAsUpdate(server, Y.encodeStateVector(client.doc)), FROM_SERVER);
          client.pulled = broadcasts.length;
        }

        function act(index: number, action: Action, tick: number): void {
          const client = clients[index] as Client;
          const { doc, user } = client;
          const shown = listMessages(doc, { limit: Number.MAX_SAFE_INTEGER });
          const live = shown.filter((m) => !m.deleted);
          const own = live.filter((m) => m.sender_id === user);
          switch (action.kind) {
            case "send": {
              const replyTo = action.reply === null ? null : (pickFrom(shown, action.reply)?.id ?? null);
              const createdAt = new Date(Date.now() + (skews[index] ?? 0) + tick).toISOString();
              tolerate(() => {
                const { id } = sendMessage(doc, { sender_id: user, content: action.text, reply_to_id: replyTo, created_at: createdAt });
                sent.add(id);
              });
              return;
            }
            case "edit": {
              const target = pickFrom(own, action.pick);
              if (target) tolerate(() => editMessage(doc, { message_id: target.id, actor_id: user, content: action.text }));
              return;
            }
            case "delete": {
              const moderate = action.moderate && client.author.mayModerate;
              const target = pickFrom(moderate ? live.filter((m) => m.sender_id !== user) : own, action.pick);
              if (target) tolerate(() => deleteMessage(doc, { message_id: target.id, actor_id: user, may_moderate: moderate }));
              return;
            }
            case "react": {
              const target = pickFrom(live, action.pick);
              if (!target) return;
              const input = { message_id: target.id, user_id: user, emoji: EMOJI[action.emoji] as string };
              tolerate(() => (action.remove ? removeReaction(doc, input) : addReaction(doc, input)));
              return;
            }
            case "read": {
              const target = pickFrom(
                shown.filter((m) => m.seq !== null),
                action.pick,
              );
              if (target) tolerate(() => markRead(doc, { user_id: user, message_id: target.id }));
              return;
            }
            default:
              throw new Error(`unknown action ${JSON.stringify(action satisfies never)}`);
          }
        }

        history.forEach((step, tick) => {
          const client = clients[step.client] as Client;
          switch (step.kind) {
            case "act":
              act(step.client, step.action, tick);
              return;
            case "offline":
              for (const action of step.actions) act(step.client, action, tick);
              return;
            case "push":
              push(client);
              return;
            case "pushLive": {
              const end = Math.min(client.liveSent + step.count, client.live.length);
              for (; client.liveSent < end; client.liveSent++) deliver(client, client.live[client.liveSent] as Uint8Array, "a live update");
              return;
            }
            case "replay":
              if (step.pick === null || client.liveSent === 0) {
                deliver(client, Y.encodeStateAsUpdate(client.doc), "a replay of the whole state");
              } else {
                deliver(client, client.live[step.pick % client.liveSent] as Uint8Array, "a replayed live update");
              }
              return;
            case "pull":
              pull(client);
              return;
            case "pullSome": {
              const end = Math.min(client.pulled + step.count, broadcasts.length);
              for (; client.pulled < end; client.pulled++) Y.applyUpdate(client.doc, broadcasts[client.pulled] as Uint8Array, FROM_SERVER);
              return;
            }
            case "reconnect":
              pull(client);
              push(client);
              return;
            default:
              throw new Error(`unknown step ${JSON.stringify(step satisfies never)}`);
          }
        });

        // Everyone comes online: each sends what the server lacks, then all catch up.
        for (const client of clients) push(client);
        for (const client of clients) pull(client);

        const view = JSON.stringify(roomDocToJSON(server));
        for (const client of clients) expect(JSON.stringify(roomDocToJSON(client.doc))).toBe(view);
        const messages = listMessages(server, { limit: Number.MAX_SAFE_INTEGER });
        expect(messages.map((m) => m.id).sort()).toEqual([...sent].sort());
        expect(messages.map((m) => m.seq)).toEqual(messages.map((_, i) => i + 1));
      }),
      { numRuns: 200 },
    );
  });
});
