import { createHash } from "node:crypto";
import type { Document, Extension, Hocuspocus, onAwarenessUpdatePayload } from "@hocuspocus/server";
import * as encoding from "lib0/encoding";
import { applyAwarenessUpdate } from "y-protocols/awareness";
import { type AwarenessState, parseAwarenessState } from "../../shared/awareness.ts";
import { parseDocumentName } from "../../shared/document-names.ts";
import type { ClusterBus, ClusterEvent } from "../cluster/bus.ts";
import type { Logger } from "../logger.ts";

type TypingEvent = Extract<ClusterEvent, { type: "typing" }>;

/** Typing as the event streams need it. */
export interface TypingChange {
  roomId: string;
  userId: string;
  typing: boolean;
}

/** A REST client's typing shown in one loaded document: a server-made awareness entry of its own client id. */
interface RestTypist {
  clientId: number;
  clock: number;
  document: Document;
}

// The transaction origin of the server's own awareness entries (no connection: the gate lets them be).
const SERVER_AWARENESS = { source: "local", restTyping: true };

/**
 * Typing between the two kinds of client. A Yjs client's awareness (`typing` in its state, see
 * shared/awareness.ts) is announced on the cluster bus as `typing` when it changes; a REST
 * client's POST /typing is announced the same way. Every process delivers `typing` to its event
 * streams, and a process holding the room's document shows a REST typist to its Yjs clients as
 * an awareness entry the server writes for that user. Typing is ephemeral: nothing is stored. A
 * REST client's typing lapses after a few seconds unless said again (each process times it).
 */
export class TypingRelay {
  /** Last typing state of each Yjs awareness client id, per document (to announce changes only). */
  private readonly yjsTyping = new WeakMap<Document, Map<number, { userId: string; typing: boolean }>>();
  /** REST typists per `${roomId}:${userId}`: their awareness entries here, and their lapse timers. */
  private readonly restTypists = new Map<string, { entries: RestTypist[]; lapse: NodeJS.Timeout }>();
  /** Client ids this relay wrote, so their awareness changes are not announced again. */
  private readonly ownClientIds = new Set<number>();

  constructor(
    private readonly hocuspocus: Hocuspocus,
    private readonly bus: ClusterBus,
    private readonly logger: Logger,
    private readonly lapseMs: () => number,
    private readonly deliver: (change: TypingChange) => void,
  ) {
    const extension: Extension = { onAwarenessUpdate: async (payload) => this.onAwarenessUpdate(payload) };
    // Hocuspocus runs hooks from its configured extensions at each call: one added after start
    // takes part like the others (server/sync/sync-server.ts stays as it is).
    hocuspocus.configuration.extensions.push(extension);
  }

  /** What each REST typist last said here, and when: "still typing" is announced at most once a second (or half a lapse). */
  private readonly lastSaid = new Map<string, { typing: boolean; at: number }>();

  /** A REST client says it is (or is no longer) typing. */
  async restTyping(roomId: string, user: { id: string; name: string }, typing: boolean, now = Date.now()): Promise<void> {
    const key = `${roomId}:${user.id}`;
    const last = this.lastSaid.get(key);
    // The lapse is seconds long: a client repeating itself faster adds nothing but bus traffic.
    if (typing && last?.typing && now - last.at < Math.min(1_000, this.lapseMs() / 2)) return;
    if (this.lastSaid.size >= 10_000) this.lastSaid.clear();
    this.lastSaid.set(key, { typing, at: now });
    await this.bus.publish({ type: "typing", roomId, userId: user.id, name: user.name, typing, source: "rest" });
  }

  /** A `typing` event from the bus (this process's own included). */
  onTyping(event: TypingEvent): void {
    if (event.source === "rest") this.showRestTyping(event);
    this.deliver({ roomId: event.roomId, userId: event.userId, typing: event.typing });
  }

  private showRestTyping(event: TypingEvent): void {
    const key = `${event.roomId}:${event.userId}`;
    const known = this.restTypists.get(key);
    if (known) clearTimeout(known.lapse);
    if (!event.typing) {
      if (known) this.endRestTyping(key);
      return;
    }
    const entries = known?.entries ?? [];
    const document = this.hocuspocus.documents.get(`room:${event.roomId}`);
    if (document && !entries.some((e) => e.document === document))
      entries.push({ clientId: this.clientIdFor(document, event.roomId, event.userId), clock: 0, document });
    const state: AwarenessState = { user: { id: event.userId, name: event.name }, typing: true };
    for (const entry of entries) this.writeEntry(entry, state);
    const lapse = setTimeout(() => {
      this.endRestTyping(key);
      this.deliver({ roomId: event.roomId, userId: event.userId, typing: false });
    }, this.lapseMs());
    lapse.unref();
    this.restTypists.set(key, { entries, lapse });
  }

  private endRestTyping(key: string): void {
    const known = this.restTypists.get(key);
    if (!known) return;
    clearTimeout(known.lapse);
    this.restTypists.delete(key);
    for (const entry of known.entries) {
      this.writeEntry(entry, null);
      this.ownClientIds.delete(entry.clientId);
    }
  }

  /**
   * The awareness client id of a REST typist in a room: the same on every process (a hash of
   * room and user), so when awareness crosses processes each Yjs client still sees one entry per
   * typist, whichever processes wrote it. Another if someone else holds that id.
   */
  private clientIdFor(document: Document, roomId: string, userId: string): number {
    let id = createHash("sha256").update(`${roomId}:${userId}`).digest().readUInt32BE(0) & 0x7fffffff;
    const holder = (clientId: number) => parseAwarenessState(document.awareness.getStates().get(clientId))?.user.id;
    while (id === 0 || id === document.clientID || (holder(id) !== undefined && holder(id) !== userId)) {
      id = Math.floor(Math.random() * 2 ** 31) + 1;
    }
    this.ownClientIds.add(id);
    return id;
  }

  /** Set (or, with null, remove) a server-made awareness entry; Hocuspocus relays it to the document's connections. */
  private writeEntry(entry: RestTypist, state: AwarenessState | null): void {
    // Past whatever clock the document knows for this id (an earlier typist of it here or elsewhere).
    entry.clock = Math.max(entry.clock, entry.document.awareness.meta.get(entry.clientId)?.clock ?? 0) + 1;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, 1);
    encoding.writeVarUint(encoder, entry.clientId);
    encoding.writeVarUint(encoder, entry.clock);
    encoding.writeVarString(encoder, JSON.stringify(state));
    applyAwarenessUpdate(entry.document.awareness, encoding.toUint8Array(encoder), SERVER_AWARENESS);
  }

  /**
   * A Yjs document's awareness changed: announce each user whose typing changed. Only states
   * this process's connections sent count (and their removal when they close): states relayed
   * from other processes, and the server's own, are announced where they come from.
   */
  private async onAwarenessUpdate({ document, added, updated, removed, connection }: onAwarenessUpdatePayload): Promise<void> {
    const name = parseDocumentName(document.name);
    if (name?.kind !== "room") return;
    let known = this.yjsTyping.get(document);
    if (!known) {
      known = new Map();
      this.yjsTyping.set(document, known);
    }
    const changes: Array<{ userId: string; typing: boolean }> = [];
    const states = document.awareness.getStates();
    for (const clientId of connection ? [...added, ...updated] : []) {
      if (this.ownClientIds.has(clientId)) continue;
      const state = parseAwarenessState(states.get(clientId));
      if (!state) continue;
      const before = known.get(clientId);
      known.set(clientId, { userId: state.user.id, typing: state.typing });
      if ((before?.typing ?? false) !== state.typing) changes.push({ userId: state.user.id, typing: state.typing });
    }
    for (const clientId of removed) {
      const before = known.get(clientId);
      known.delete(clientId);
      if (before?.typing) changes.push({ userId: before.userId, typing: false });
    }
    for (const change of changes) {
      await this.bus
        .publish({ type: "typing", roomId: name.roomId, userId: change.userId, name: "", typing: change.typing, source: "awareness" })
        .catch((err: unknown) => this.logger.warn({ err }, "typing: announce failed"));
    }
  }

  stop(): void {
    for (const { lapse } of this.restTypists.values()) clearTimeout(lapse);
    this.restTypists.clear();
  }
}
