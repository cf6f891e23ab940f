import fc from "fast-check";
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
  type MessageView,
  markRead,
  RoomDocError,
  removeReaction,
  roomDocToJSON,
  type SendInput,
  sendMessage,
} from "../../shared/room-doc/index.ts";

const USERS = [newId(), newId(), newId(), newId()];
const EMOJI = ["👍", "💪", "🔥"];
const BASE_TIME = Date.UTC(2026, 0, 1, 12);

/** One thing a user does on their own replica, possibly offline. `pick` chooses among what the replica shows. */
type Action =
  | { kind: "send"; text: string }
  /** Send again something this user sent before: on their replica (a retry) or on the server (a REST retry). */
  | { kind: "replay"; pick: number; viaServer: boolean }
  | { kind: "edit"; pick: number; text: string }
  /** Delete an own message, or, for replica 0's user (the room admin), any message when `moderate`. */
  | { kind: "delete"; pick: number; moderate: boolean }
  | { kind: "react"; pick: number; emoji: number; remove: boolean }
  | { kind: "read"; pick: number };

/**
 * A step of the history: a replica acts; one replica sends another everything it lacks; one
 * receives only some of another's updates, out of order (a partial, reordered delivery); or a
 * client is online for a moment (it sends the server what it lacks, the server sequences, and
 * the client catches up).
 */
type Step =
  | { kind: "act"; replica: number; action: Action }
  | { kind: "sync"; from: number; to: number }
  | { kind: "deliver"; from: number; to: number; picks: number[] }
  | { kind: "online"; replica: number };

const textArb = fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s.trim().length > 0);

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("send" as const), text: textArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("replay" as const), pick: fc.nat(), viaServer: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("edit" as const), pick: fc.nat(), text: textArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), pick: fc.nat(), moderate: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("react" as const),
      pick: fc.nat(),
      emoji: fc.nat({ max: EMOJI.length - 1 }),
      remove: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("read" as const), pick: fc.nat() }) },
);

/** Histories of `clients` client replicas; replica number `clients` is the server. */
function historyArb(clients: number): fc.Arbitrary<Step[]> {
  const replica = fc.nat({ max: clients });
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant("act" as const), replica: fc.nat({ max: clients - 1 }), action: actionArb }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("sync" as const), from: replica, to: replica }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("online" as const), replica: fc.nat({ max: clients - 1 }) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("deliver" as const),
        from: replica,
        to: replica,
        picks: fc.array(fc.nat(), { maxLength: 4 }),
      }),
    },
  );
  return fc.array(step, { minLength: 10, maxLength: 60, size: "max" });
}

const scenarioArb = fc.integer({ min: 2, max: 4 }).chain((clients) =>
  fc.record({
    clients: fc.constant(clients),
    // Each client's clock is off by up to an hour: order must not depend on it.
    skews: fc.array(fc.integer({ min: -3_600_000, max: 3_600_000 }), { minLength: clients, maxLength: clients }),
    history: historyArb(clients),
  }),
);

/** Run `fn`; a refusal (an action this replica's state does not allow) is fine, anything else fails the test. */
function attempt(fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch (error) {
    if (error instanceof RoomDocError) return false;
    throw error;
  }
}

function pickFrom<T>(list: readonly T[], pick: number): T | undefined {
  return list.length === 0 ? undefined : list[pick % list.length];
}

/** What the test itself knows happened, to check the merged result against. */
interface Ledger {
  sent: Map<string, SendInput>;
  /** Every text a message ever held: it was sent with it or edited to it. */
  texts: Map<string, Set<string>>;
  deleted: Set<string>;
  /** Highest seq each user marked read. */
  readUpTo: Map<string, number>;
  /** Every sequence number the server handed out. */
  assigned: Map<string, number>;
  /**
   * Ids inserted on two replicas before either saw the other's copy (a replay on the server of a
   * message its sender's replica already held). The room keeps one copy; changes made to the other
   * copy before they met are lost, as docs/document-schema.md says.
   */
  contested: Set<string>;
}

describe("room documents converge", () => {
  it("random offline histories of 2–4 replicas and a server, merged in any order, end identical, each message once", () => {
    fc.assert(
      fc.property(scenarioArb, ({ clients, skews, history }) => {
        const docs = Array.from({ length: clients + 1 }, () => new Y.Doc());
        const server = docs[clients] as Y.Doc;
        initRoomDoc(server, "server");
        // Every update each replica has applied (its own and received), to deliver piecemeal.
        const logs = docs.map((doc) => {
          const log: Uint8Array[] = [];
          doc.on("update", (update: Uint8Array) => log.push(update));
          return log;
        });
        const ledger: Ledger = {
          sent: new Map(),
          texts: new Map(),
          deleted: new Set(),
          readUpTo: new Map(),
          assigned: new Map(),
          contested: new Set(),
        };
        const ownSends: SendInput[][] = Array.from({ length: clients }, () => []);

        // The server sequences whatever it has whenever it receives something.
        const serverSequences = () => {
          for (const { id, seq } of assignSequenceNumbers(server, "server")) {
            expect(ledger.assigned.has(id)).toBe(false);
            ledger.assigned.set(id, seq);
          }
        };
        const received = (to: number) => {
          if (to === clients) serverSequences();
        };
        const sync = (from: Y.Doc, to: Y.Doc) => Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)));

        history.forEach((step, tick) => {
          switch (step.kind) {
            case "sync":
              sync(docs[step.from] as Y.Doc, docs[step.to] as Y.Doc);
              received(step.to);
              return;
            case "online":
              sync(docs[step.replica] as Y.Doc, server);
              serverSequences();
              sync(server, docs[step.replica] as Y.Doc);
              return;
            case "deliver": {
              const log = [...(logs[step.from] ?? [])];
              for (const pick of step.picks) {
                const update = pickFrom(log, pick);
                if (update) Y.applyUpdate(docs[step.to] as Y.Doc, update);
              }
              received(step.to);
              return;
            }
            case "act":
              act(step.replica, step.action, tick);
              return;
            default:
              throw new Error(`unknown step ${JSON.stringify(step satisfies never)}`);
          }
        });

        function act(replica: number, action: Action, tick: number): void {
          const doc = docs[replica] as Y.Doc;
          const user = USERS[replica] as string;
          const shown = listMessages(doc, { limit: Number.MAX_SAFE_INTEGER });
          const live = shown.filter((m) => !m.deleted);
          const own = live.filter((m) => m.sender_id === user);
          switch (action.kind) {
            case "send": {
              const createdAt = new Date(BASE_TIME + (skews[replica] ?? 0) + tick * 1000).toISOString();
              const input: SendInput = { id: newId(), sender_id: user, content: action.text, created_at: createdAt };
              expect(sendMessage(doc, input).created).toBe(true);
              ledger.sent.set(input.id as string, input);
              ledger.texts.set(input.id as string, new Set([action.text]));
              ownSends[replica]?.push(input);
              return;
            }
            case "replay": {
              const input = pickFrom(ownSends[replica] ?? [], action.pick);
              if (!input) return;
              if (!action.viaServer) {
                // A retry on the replica that holds the message changes nothing.
                expect(sendMessage(doc, input)).toEqual({ id: input.id, created: false });
                return;
              }
              if (sendMessage(server, input).created) ledger.contested.add(input.id as string);
              serverSequences();
              return;
            }
            case "edit": {
              const target = pickFrom(own, action.pick);
              if (target && attempt(() => editMessage(doc, { message_id: target.id, actor_id: user, content: action.text }))) {
                ledger.texts.get(target.id)?.add(action.text);
              }
              return;
            }
            case "delete": {
              const moderate = action.moderate && replica === 0;
              const target = pickFrom(moderate ? live : own, action.pick);
              if (target && attempt(() => deleteMessage(doc, { message_id: target.id, actor_id: user, may_moderate: moderate }))) {
                ledger.deleted.add(target.id);
              }
              return;
            }
            case "react": {
              const target = pickFrom(live, action.pick);
              const emoji = EMOJI[action.emoji] as string;
              if (!target) return;
              const input = { message_id: target.id, user_id: user, emoji };
              attempt(() => (action.remove ? removeReaction(doc, input) : addReaction(doc, input)));
              return;
            }
            case "read": {
              const target = pickFrom(
                shown.filter((m): m is MessageView & { seq: number } => m.seq !== null),
                action.pick,
              );
              if (target && markRead(doc, { user_id: user, message_id: target.id })) {
                expect(target.seq).toBeGreaterThan(ledger.readUpTo.get(user) ?? 0);
                ledger.readUpTo.set(user, target.seq);
              }
              return;
            }
            default:
              throw new Error(`unknown action ${JSON.stringify(action satisfies never)}`);
          }
        }

        // Everyone reconnects: each replica syncs with the server, which sequences; then all catch up.
        for (const doc of docs) {
          Y.applyUpdate(server, Y.encodeStateAsUpdate(doc, Y.encodeStateVector(server)));
          serverSequences();
        }
        for (const doc of docs) Y.applyUpdate(doc, Y.encodeStateAsUpdate(server, Y.encodeStateVector(doc)));

        // Identical everywhere, deterministically (not only deep-equal: the same JSON text).
        const views = docs.map((doc) => roomDocToJSON(doc));
        const first = views[0];
        for (const view of views) expect(JSON.stringify(view)).toBe(JSON.stringify(first));
        const order = listMessages(server, { limit: Number.MAX_SAFE_INTEGER }).map((m) => m.id);
        for (const doc of docs) expect(listMessages(doc, { limit: Number.MAX_SAFE_INTEGER }).map((m) => m.id)).toEqual(order);

        // Every message sent appears exactly once, replays included, all accepted and numbered 1..n in order.
        const messages = first?.messages ?? [];
        expect(messages.map((m) => m.id).sort()).toEqual([...ledger.sent.keys()].sort());
        expect(messages.map((m) => m.seq)).toEqual(messages.map((_, i) => i + 1));
        for (const m of messages) expect(m.seq).toBe(ledger.assigned.get(m.id));

        for (const m of messages) {
          expect(m.sender_id).toBe(ledger.sent.get(m.id)?.sender_id);
          if (m.deleted) {
            expect([m.content, m.media_urls, m.location, m.reactions]).toEqual([null, [], null, {}]);
          } else {
            expect(ledger.texts.get(m.id)?.has(m.content ?? "")).toBe(true);
          }
          // A delete anywhere wins over any concurrent edit or reaction (unless it went to a lost copy).
          if (!ledger.contested.has(m.id)) expect(m.deleted).toBe(ledger.deleted.has(m.id));
        }
        // Each user's marker is the furthest they read: receipts never move backwards.
        for (const [user, seq] of ledger.readUpTo) expect(first?.receipts[user]?.seq).toBe(seq);
        expect(Object.keys(first?.receipts ?? {}).length).toBe(ledger.readUpTo.size);
        expect(first?.schemaVersion).toBe(1);
      }),
      { numRuns: 100 },
    );
  });

  it("a concurrent edit and delete of the same message end deleted, in any merge order", () => {
    fc.assert(
      fc.property(
        fc.array(textArb, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        fc.shuffledSubarray([0, 1, 2], { minLength: 3, maxLength: 3 }),
        (edits, byModerator, order) => {
          const [ana, ben] = USERS as [string, string];
          const base = new Y.Doc();
          initRoomDoc(base);
          const id = sendMessage(base, { sender_id: ana, content: "draft" }).id;
          assignSequenceNumbers(base);
          const replicas = [0, 1, 2].map(() => {
            const doc = new Y.Doc();
            Y.applyUpdate(doc, Y.encodeStateAsUpdate(base));
            return doc;
          });
          const [editor, deleter, reactor] = replicas as [Y.Doc, Y.Doc, Y.Doc];
          for (const text of edits) editMessage(editor, { message_id: id, actor_id: ana, content: text });
          deleteMessage(deleter, { message_id: id, actor_id: byModerator ? ben : ana, may_moderate: byModerator });
          addReaction(reactor, { message_id: id, user_id: ben, emoji: "👍" });

          const merged = new Y.Doc();
          for (const i of order) Y.applyUpdate(merged, Y.encodeStateAsUpdate(replicas[i] as Y.Doc));
          for (const doc of replicas) for (const other of replicas) Y.applyUpdate(doc, Y.encodeStateAsUpdate(other));

          expect(getMessage(merged, id)).toMatchObject({ deleted: true, content: null });
          expect(getMessage(merged, id)?.reactions).toEqual({});
          for (const doc of replicas) expect(roomDocToJSON(doc)).toEqual(roomDocToJSON(merged));
        },
      ),
      { numRuns: 100 },
    );
  });
});
