/** The chat clients the benchmarks drive: real `@hocuspocus/provider`s, one socket per user. */
import { HocuspocusProvider, HocuspocusProviderWebsocket } from "@hocuspocus/provider";
import WebSocket from "ws";
import * as Y from "yjs";

// 80 characters, as in the measurement.
export const TEXT = "Great session today, same time tomorrow? Bring the resistance bands and water.!!";
// Per-user limits raised, not skipped: the counters run as in production.
export const RAISED_LIMITS = {
  MESSAGES_PER_MINUTE: "1000000",
  MESSAGES_ABUSE_PER_TEN_MINUTES: "100000000",
  MESSAGES_PER_ROOM_PER_MINUTE: "1000000",
};

/** A member's provider on its own socket (the web app keeps one socket per user). */
export interface Member {
  user: { token: string; id: string };
  socket: HocuspocusProviderWebsocket;
  docs: Map<string, { doc: Y.Doc; provider: HocuspocusProvider }>;
}

export function connect(wsUrl: string, user: { token: string; id: string }): Member {
  return { user, socket: new HocuspocusProviderWebsocket({ url: wsUrl, WebSocketPolyfill: WebSocket }), docs: new Map() };
}

export function open(member: Member, name: string): Y.Doc {
  const doc = new Y.Doc();
  const provider = new HocuspocusProvider({ websocketProvider: member.socket, name, token: member.user.token, document: doc });
  provider.attach();
  member.docs.set(name, { doc, provider });
  return doc;
}

/** Record when each message first appears in `doc`. */
export function watchArrivals(doc: Y.Doc, sentAt: Map<string, number>, latencies: number[], onArrival: () => void): void {
  doc.getMap("messages").observe((event) => {
    const now = performance.now();
    for (const [key, change] of event.changes.keys) {
      const at = sentAt.get(key);
      if (change.action === "add" && at !== undefined) {
        latencies.push(now - at);
        onArrival();
      }
    }
  });
}

export const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - performance.now())));

/** When each message was sent, and when and how often it reached the readers watched. */
export interface Arrivals {
  sentAt: Map<string, number>;
  latencies: number[];
  count: number;
  /** performance.now() of the latest arrival. */
  last: number;
}

/** Watch every reader's copy for the messages recorded in `sentAt`. */
export function watchReaders(readers: Y.Doc[]): Arrivals {
  const arrivals: Arrivals = { sentAt: new Map(), latencies: [], count: 0, last: 0 };
  for (const doc of readers)
    watchArrivals(doc, arrivals.sentAt, arrivals.latencies, () => {
      arrivals.count++;
      arrivals.last = performance.now();
    });
  return arrivals;
}
