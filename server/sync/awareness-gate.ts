import type { Connection, Document } from "@hocuspocus/server";
import * as decoding from "lib0/decoding";
import type { AwarenessState } from "../../shared/awareness.ts";
import type { SessionUser } from "../auth/sessions.ts";

// Hocuspocus message type of an awareness update (packages/server/src/types.ts MessageType).
const AWARENESS_MESSAGE = 1;

/** What one connection may say in a document's awareness (docs/api.md "Awareness"). */
export const AWARENESS_LIMITS = {
  /** A larger awareness frame is refused before it is decoded; an honest one is about 200 bytes. */
  maxFrameBytes: 4 * 1024,
  /** Awareness client ids one connection may speak for; an honest provider has one. */
  maxClientIdsPerConnection: 2,
  /** Messages relayed in a burst, then per second: a fast typist sends about ten a second. */
  burst: 30,
  perSecond: 10,
  /**
   * Messages dropped over the rate, forgiven at `forgivenPerSecond`, before the document is
   * refused: a sender has to keep up more than 15 a second for several seconds (the web app sends
   * one when typing starts or stops; an older one, one per keystroke).
   */
  maxDropped: 100,
  forgivenPerSecond: 5,
} as const;

/** What to do with one incoming awareness message. */
export type AwarenessVerdict =
  /** Let it through (as the gate left it: stamped and filtered). */
  | { kind: "pass" }
  /** Over the rate: relay nothing of it, keep the connection. */
  | { kind: "drop" }
  /** Abuse: refuse the document for this connection with `code`. */
  | { kind: "refuse"; code: "awareness_too_large" | "rate_limited"; message: string };

const PASS: AwarenessVerdict = { kind: "pass" };
const DROP: AwarenessVerdict = { kind: "drop" };

/**
 * Judge a raw frame before Hocuspocus decodes it: an awareness frame over the size bound is
 * refused unread (decoding megabytes of JSON is the cost being bounded). Other frames pass.
 */
export function judgeAwarenessFrame(frame: Uint8Array): AwarenessVerdict {
  if (frame.byteLength <= AWARENESS_LIMITS.maxFrameBytes) return PASS;
  try {
    const decoder = decoding.createDecoder(frame);
    decoding.readVarString(decoder);
    if (decoding.readVarUint(decoder) !== AWARENESS_MESSAGE) return PASS;
  } catch {
    // Hocuspocus cannot read it either, and closes the document itself.
    return PASS;
  }
  return {
    kind: "refuse",
    code: "awareness_too_large",
    message: `An awareness update may be at most ${AWARENESS_LIMITS.maxFrameBytes} bytes.`,
  };
}

/** One connection's awareness rate: a token bucket, and a tally of what it dropped that decays. */
export class AwarenessBudget {
  private tokens: number = AWARENESS_LIMITS.burst;
  private dropped = 0;

  constructor(private last: number) {}

  /** Spend one message at `now` (ms). */
  take(now: number): AwarenessVerdict {
    const seconds = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.tokens = Math.min(AWARENESS_LIMITS.burst, this.tokens + seconds * AWARENESS_LIMITS.perSecond);
    this.dropped = Math.max(0, this.dropped - seconds * AWARENESS_LIMITS.forgivenPerSecond);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return PASS;
    }
    this.dropped += 1;
    if (this.dropped <= AWARENESS_LIMITS.maxDropped) return DROP;
    return {
      kind: "refuse",
      code: "rate_limited",
      message: `Awareness updates are limited to ${AWARENESS_LIMITS.perSecond} a second.`,
    };
  }
}

/** Who holds an awareness client id in a document, seen from the connection that sent it. */
export type ClientIdHolder = "this connection" | "someone else" | "nobody";

/**
 * Rewrite an incoming awareness update in place (Hocuspocus relays the map as the hook leaves
 * it). A state for a client id someone else holds is dropped, as is a new id past the
 * per-connection bound, and an empty state; every other state is stamped with the connection's
 * user and keeps only `typing`. `held` is how many ids the connection holds already.
 */
export function stampAwareness(
  states: Map<number, Record<string, unknown>>,
  user: Pick<SessionUser, "id" | "username" | "display_name">,
  holderOf: (clientId: number) => ClientIdHolder,
  held: number,
): void {
  let holding = held;
  for (const [clientId, state] of states) {
    // Hocuspocus decodes each update into a scratch Awareness whose own empty state rides along
    // in this map: an empty state says nothing, so none is relayed (nor claims an id).
    const holder = Object.keys(state).length === 0 ? null : holderOf(clientId);
    const mayWrite = holder === "this connection" || (holder === "nobody" && holding < AWARENESS_LIMITS.maxClientIdsPerConnection);
    if (!mayWrite) {
      states.delete(clientId);
      continue;
    }
    if (holder === "nobody") holding++;
    const stamped: AwarenessState = {
      user: { id: user.id, name: user.display_name ?? user.username },
      typing: state.typing === true,
    };
    states.set(clientId, stamped);
  }
}

/**
 * The server's check of every awareness update a connection sends: its rate, which client ids
 * it may speak for, and the identity in each state (stamped from the session, never the client's).
 */
export class AwarenessGate {
  private readonly budgets = new WeakMap<Connection, AwarenessBudget>();

  /** `boundTo` answers whom the document's Yjs client id is bound to (undefined: nobody yet). */
  constructor(private readonly boundTo: (documentName: string, clientId: number) => string | null | undefined) {}

  /** Judge `states` (the decoded update) from `connection`, rewriting them in place. */
  judge(
    document: Document,
    connection: Connection,
    user: SessionUser | undefined,
    states: Map<number, Record<string, unknown>>,
    now = Date.now(),
  ): AwarenessVerdict {
    let budget = this.budgets.get(connection);
    if (!budget) {
      budget = new AwarenessBudget(now);
      this.budgets.set(connection, budget);
    }
    const verdict = user ? budget.take(now) : DROP;
    if (verdict.kind !== "pass" || !user) {
      states.clear();
      return verdict;
    }
    const mine = document.getClients(connection);
    const holderOf = (clientId: number): ClientIdHolder => {
      if (mine.has(clientId)) return "this connection";
      if (document.awareness.getStates().has(clientId)) return "someone else";
      for (const other of document.getConnections()) if (document.getClients(other).has(clientId)) return "someone else";
      // A Yjs client id another user (or the server) writes with is theirs in awareness too.
      const bound = this.boundTo(document.name, clientId);
      return bound !== undefined && bound !== user.id ? "someone else" : "nobody";
    };
    stampAwareness(states, user, holderOf, mine.size);
    return verdict;
  }
}
