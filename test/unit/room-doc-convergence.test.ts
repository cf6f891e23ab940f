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
  RoomDocError,
  removeReaction,
  roomDocToJSON,
  sendMessage,
} from "../../shared/room-doc/index.ts";

const USERS = [newId(), newId(), newId(), newId()];
const EMOJI = ["👍", "💪", "🔥"];

/** One thing a user does on their own replica, possibly offline. */
type Action =
  | { kind: "send"; text: string; replay: boolean }
  | { kind: "edit"; pick: number; text: string }
  | { kind: "delete"; pick: number }
  | { kind: "react"; pick: number; emoji: number; remove: boolean }
  | { kind: "read"; pick: number };

/** A step of the history: a replica acts, or two replicas exchange what one lacks, or the server sequences. */
type Step = { kind: "act"; replica: number; action: Action } | { kind: "sync"; from: number; to: number } | { kind: "server" };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant("send" as const),
    text: fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim().length > 0),
    replay: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant("edit" as const),
    pick: fc.nat(),
    text: fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim().length > 0),
  }),
  fc.record({ kind: fc.constant("delete" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("react" as const), pick: fc.nat(), emoji: fc.nat({ max: EMOJI.length - 1 }), remove: fc.boolean() }),
  fc.record({ kind: fc.constant("read" as const), pick: fc.nat() }),
);

function historyArb(replicas: number): fc.Arbitrary<Step[]> {
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant("act" as const), replica: fc.nat({ max: replicas - 1 }), action: actionArb }) },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant("sync" as const), from: fc.nat({ max: replicas }), to: fc.nat({ max: replicas }) }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: "server" as const }) },
  );
  return fc.array(step, { minLength: 1, maxLength: 80 });
}

/** Run `fn`, ignoring refusals an honest UI would not offer (editing someone else's message, …). */
function tolerate(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof RoomDocError)) throw error;
  }
}

describe("room documents converge", () => {
  it("random offline histories of several replicas merged in any order end identical, each message once", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 4 }).chain((n) => fc.tuple(fc.constant(n), historyArb(n))),
        ([replicaCount, history]) => {
          // Replica `replicaCount` is the server: it sequences whatever it has received.
          const docs = Array.from({ length: replicaCount + 1 }, () => new Y.Doc());
          const server = docs[replicaCount] as Y.Doc;
          initRoomDoc(server);
          const sent = new Set<string>();
          const lastSent: Array<{ id: string; text: string } | undefined> = [];

          for (const step of history) {
            if (step.kind === "server") {
              assignSequenceNumbers(server);
            } else if (step.kind === "sync") {
              const from = docs[step.from] as Y.Doc;
              const to = docs[step.to] as Y.Doc;
              Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)));
            } else {
              const doc = docs[step.replica] as Y.Doc;
              const user = USERS[step.replica] as string;
              const messages = listMessages(doc, { limit: 1000 });
              const target =
                messages.length > 0 ? messages[step.action.kind === "send" ? 0 : step.action.pick % messages.length] : undefined;
              const action = step.action;
              switch (action.kind) {
                case "send": {
                  const previous = lastSent[step.replica];
                  // A replay resends the same id (a retry after a lost acknowledgement).
                  const id = action.replay && previous ? previous.id : newId();
                  const text = action.replay && previous ? previous.text : action.text;
                  tolerate(() => sendMessage(doc, { id, sender_id: user, content: text }));
                  sent.add(id);
                  lastSent[step.replica] = { id, text };
                  break;
                }
                case "edit":
                  if (target) tolerate(() => editMessage(doc, { message_id: target.id, actor_id: user, content: action.text }));
                  break;
                case "delete":
                  if (target) tolerate(() => deleteMessage(doc, { message_id: target.id, actor_id: user }));
                  break;
                case "react":
                  if (target) {
                    const emoji = EMOJI[action.emoji] as string;
                    tolerate(() =>
                      action.remove
                        ? removeReaction(doc, { message_id: target.id, user_id: user, emoji })
                        : addReaction(doc, { message_id: target.id, user_id: user, emoji }),
                    );
                  }
                  break;
                case "read":
                  if (target) tolerate(() => markRead(doc, { user_id: user, message_id: target.id }));
                  break;
                default:
                  throw new Error(`unknown action ${JSON.stringify(action satisfies never)}`);
              }
            }
          }

          // Everyone reconnects: each client syncs with the server, the server sequences, all sync again.
          for (const doc of docs) Y.applyUpdate(server, Y.encodeStateAsUpdate(doc, Y.encodeStateVector(server)));
          assignSequenceNumbers(server);
          for (const doc of docs) Y.applyUpdate(doc, Y.encodeStateAsUpdate(server, Y.encodeStateVector(doc)));

          const views = docs.map((doc) => roomDocToJSON(doc));
          for (const view of views) expect(view).toEqual(views[0]);
          const ids = views[0]?.messages.map((m) => m.id) ?? [];
          expect(new Set(ids).size).toBe(ids.length);
          expect(new Set(ids)).toEqual(sent);
          const seqs = views[0]?.messages.map((m) => m.seq) ?? [];
          expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
        },
      ),
      { numRuns: 200 },
    );
  });
});
