import { randomUUID } from "node:crypto";
import type { Connection, Document, Hocuspocus } from "@hocuspocus/server";
import * as awarenessProtocol from "y-protocols/awareness";
import * as Y from "yjs";
import { CLOSE_CODES, type ErrorCode } from "../../shared/errors.ts";
import { RoomDocError } from "../../shared/room-doc/index.ts";
import type { SessionUser } from "../auth/sessions.ts";
import type { RedisLink } from "../cluster/redis-link.ts";
import { LEASE_CHECK_MS, type RoomLease, type RoomLeases } from "../cluster/room-leases.ts";
import {
  fromBase64,
  type Outcome,
  type ProcessMessage,
  processChannel,
  processMessageSchema,
  type RoomMessage,
  roomChannel,
  roomMessageSchema,
  toBase64,
} from "../cluster/room-plane-messages.ts";
import { whenReachable } from "../db/unavailable.ts";
import type { DocumentStore } from "../documents/document-store.ts";
import type { Logger } from "../logger.ts";
import {
  isRoomCommandName,
  type RoomCommand,
  type RoomCommandName,
  type RoomCommandResult,
  runRoomCommand,
} from "../rooms/room-commands.ts";
import type { UpdateGate, UpdateSender } from "./accept-update.ts";
import { GapDeferral } from "./gap-deferral.ts";
import type { LoadedRoom, LoadedRooms } from "./loaded-room.ts";
import { Refusal, refusedPayload } from "./refuse.ts";
import type { RoomWriter, WriteAuthor } from "./room-writer.ts";

/** The transaction origin of what another process committed (STYLE 7): already stored, never judged. */
export const REPLICATED = { source: "redis" as const };
/** The awareness origin of another process's clients: not published again. */
const REMOTE_AWARENESS = Symbol("remote awareness");

// A forwarded request unanswered this long is sent again (the owner answers a repeat once).
const RESEND_AFTER_MS = 5_000;
// An accepted update whose `stored` has not come this long (the reply was lost while Redis or the
// owner's database was away): its copy reloads from the log, and its clients resync.
const STORED_WITHIN_MS = 15_000;
// Requests the owner remembers, so a repeat gets the first one's answer instead of a second run.
const REMEMBERED_REQUESTS = 10_000;

class OwnerChanged extends Error {}

/** An update the owner accepted and is storing: settled by its `stored` answer. */
interface StoringUpdate {
  room: LoadedRoom;
  /** When the owner accepted it, to give up on a `stored` that was lost. */
  since: number;
  stored: Promise<void>;
  settle: (error?: unknown) => void;
}

/** What the owner answers a request with: at once, and for an accepted update once it is stored. */
interface Answer {
  first: Outcome;
  later?: Promise<Outcome>;
}

interface PendingRequest {
  room: LoadedRoom;
  message: ProcessMessage;
  sentAt: number;
  resolve: (outcome: Outcome) => void;
  reject: (error: unknown) => void;
}

/**
 * One sequencer per room across server processes (docs/architecture.md "Several processes").
 * The process that first loads a room takes its fenced lease (RoomLeases) and numbers its
 * messages; every other process that serves the room holds a replica: it follows the owner's
 * committed log entries over Redis (catching up from PostgreSQL when it misses one), forwards
 * its clients' updates and REST changes to the owner and answers its clients with the owner's
 * verdict. Awareness crosses between all of them. A lease the owner stops renewing (killed, cut
 * off) expires and a replica takes it over; the old owner's appends then fail their fence.
 */
export class RoomReplication {
  private readonly pending = new Map<string, PendingRequest>();
  private readonly answered = new Map<string, Promise<Answer>>();
  /** Updates the owner accepted and is storing, by request: settled by its `stored` answer. */
  private readonly storing = new Map<string, StoringUpdate>();
  private readonly gaps = new GapDeferral();
  /** Rooms whose latest entry could not be published (Redis away): their head is announced again. */
  private readonly unpublished = new Set<LoadedRoom>();
  /** Leases of rooms unloaded here whose release failed (the database was away): released later. */
  private readonly unreleased = new Set<RoomLease>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly deps: {
      link: RedisLink;
      leases: RoomLeases;
      store: DocumentStore;
      rooms: LoadedRooms;
      hocuspocus: Hocuspocus;
      writer: RoomWriter;
      gate: UpdateGate;
      logger: Logger;
      /** What a new owner does first (bind its client id, number what a crash left unnumbered). */
      onBecameOwner: (room: LoadedRoom) => Promise<void>;
      /** A room this process lost the lease of: drop it from memory and end its sockets. */
      onLeaseLost: (document: Document) => void;
    },
  ) {
    deps.writer.replication = {
      leaseOf: (document) => {
        const room = deps.rooms.get(document.name, document);
        return room?.sequencer.kind === "owner" ? room.sequencer.lease : undefined;
      },
      logged: (document, id, update) => this.fanOut(document, id, update),
    };
  }

  get processId(): string {
    return this.deps.leases.processId;
  }

  /** Listen on this process's channel and start renewing and watching leases. */
  async start(): Promise<void> {
    await this.deps.link.subscribe(processChannel(this.processId), (text) => this.onProcessMessage(text));
    this.deps.link.onReconnected(() => void this.afterRedisCameBack());
    this.timer = setInterval(() => void this.checkLeases(), LEASE_CHECK_MS);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    for (const p of this.pending.values()) p.reject(new Error("the server is stopping"));
    this.pending.clear();
  }

  /** At shutdown, once everything is stored: give every lease up so others take the rooms at once. */
  async releaseAll(): Promise<void> {
    for (const room of [...this.deps.rooms.all()]) {
      if (room.sequencer.kind === "owner") await this.detach(room);
    }
  }

  /** How many rooms this process sequences and follows, for health checks and metrics. */
  counts(): { owned: number; replicas: number; forwarding: number } {
    let owned = 0;
    let replicas = 0;
    for (const room of this.deps.rooms.all()) {
      if (room.sequencer.kind === "owner") owned += 1;
      if (room.sequencer.kind === "replica") replicas += 1;
    }
    return { owned, replicas, forwarding: this.pending.size };
  }

  /**
   * A room loaded here: follow its channel, then take its lease or follow its owner. Entries
   * that arrive meanwhile wait, and what the log gained since the copy was read is caught up.
   */
  async attach(room: LoadedRoom, loadedUpTo: number): Promise<void> {
    room.lastLogId = loadedUpTo;
    const early: RoomMessage[] = [];
    let ready = false;
    await this.deps.link.subscribe(roomChannel(room.document.name), (text) => {
      const message = parseRoom(text);
      if (!message || this.deps.rooms.get(room.document.name, room.document) !== room) return;
      if (ready) void this.onRoomMessage(room, message);
      else early.push(message);
    });
    this.watchAwareness(room);
    await this.takeOrFollow(room);
    ready = true;
    for (const message of early) await this.onRoomMessage(room, message);
  }

  /** A room unloading here (everything it applied is stored): give its lease up and stop following it. */
  async detach(room: LoadedRoom): Promise<void> {
    const { sequencer } = room;
    room.sequencer = { kind: "replica", owner: "" };
    // Unless a fresh copy of the room follows the channel now (after a drop or a rewrite).
    const current = this.deps.rooms.get(room.document.name);
    if (!current || current === room) await this.deps.link.unsubscribe(roomChannel(room.document.name));
    if (sequencer.kind !== "owner") return;
    await this.deps.leases.release(sequencer.lease).catch((err: unknown) => {
      // Given up again by the next lease check; until then a replica asking is told to take it.
      this.unreleased.add(sequencer.lease);
      this.deps.logger.warn({ err }, "lease: release failed (tried again)");
    });
    await this.publishRoom(room.document.name, { t: "released", owner: this.processId });
  }

  /**
   * A copy dropped from memory (a failed store, a lost lease, a rewrite): nothing more is
   * sequenced on it, and a lease it held is given up so that the next copy, here or elsewhere,
   * takes the room at once.
   */
  dropped(room: LoadedRoom): void {
    const { sequencer } = room;
    if (sequencer.kind === "replica" && sequencer.owner === "") return;
    room.sequencer = { kind: "replica", owner: "" };
    this.abandonStoring((s) => s.room === room);
    if (sequencer.kind !== "owner") return;
    void this.deps.leases
      .release(sequencer.lease)
      .then(() => this.publishRoom(room.document.name, { t: "released", owner: this.processId }))
      .catch(() => this.unreleased.add(sequencer.lease));
  }

  /**
   * A client's update to a room another process sequences: forward it and answer the client
   * with the owner's verdict. Resolves when Hocuspocus may apply it here (it is stored), or
   * after deferring it; throws the Refusal that closes the room for the client.
   */
  async forwardUpdate(room: LoadedRoom, connection: Connection, user: SessionUser, payload: Uint8Array): Promise<void> {
    const req = randomUUID();
    const message: ProcessMessage = {
      t: "update",
      req,
      from: this.processId,
      document: room.document.name,
      user,
      socketId: connection.socketId,
      payload: toBase64(payload),
    };
    const outcome = await this.request(room, message, () => this.deps.gate.accept(room.document, connection, user, payload));
    if (outcome === "local") return;
    switch (outcome.kind) {
      case "accepted":
        room.remember(outcome.claimed, user.id);
        this.gaps.progressed(connection);
        return this.applyWhileStoring(room, connection, payload, req);
      case "stored":
      case "unchanged":
        return;
      case "deferred":
        if (this.gaps.tolerate(connection)) return this.gaps.defer(room.document, connection, payload);
        return refuse(connection, "invalid_update", "Too many updates that continue changes the server never received.");
      case "refused":
        return refuse(connection, outcome.code as ErrorCode, outcome.message);
      case "result":
      case "room_doc_error":
      case "not_owner":
      case "failed":
        throw new Error(`the room's owner could not take the update (${outcome.kind})`);
      default:
        return assertNever(outcome);
    }
  }

  /**
   * Apply here an update the owner accepted, as the owner did, before Hocuspocus applies it again
   * (a no-op): what this copy shows of it, and the client's acknowledgement, wait for the owner's
   * `stored`, as on the owner. Not waiting for the commit lets the client's next update be judged
   * meanwhile. Should the owner never say (it died), the copy is dropped and its clients resync.
   */
  private applyWhileStoring(room: LoadedRoom, connection: Connection, payload: Uint8Array, req: string): void {
    const storing = this.storing.get(req);
    const { durability } = room;
    durability.beginApply();
    let applied = false;
    try {
      Y.applyUpdate(room.document, payload, { source: "connection", connection });
      applied = true;
    } finally {
      const mark = durability.endApply(true);
      if (!applied || !storing || mark === null) {
        this.storing.delete(req);
        this.deps.onLeaseLost(room.document);
      } else {
        storing.stored.then(
          () => durability.stored(mark),
          () => this.deps.onLeaseLost(room.document),
        );
      }
    }
  }

  /** A REST change of a room another process sequences: run there, resolved with its result once stored. */
  async forwardChange<K extends RoomCommandName>(
    room: LoadedRoom,
    author: WriteAuthor,
    command: RoomCommand<K>,
  ): Promise<RoomCommandResult<K>> {
    let local: RoomCommandResult<K> | undefined;
    const message: ProcessMessage = {
      t: "change",
      req: randomUUID(),
      from: this.processId,
      document: room.document.name,
      author,
      name: command.name,
      input: command.input,
    };
    const outcome = await this.request(room, message, async () => {
      local = await this.deps.writer.commit(room.document, author, (doc) => runRoomCommand(doc, command));
    });
    if (outcome === "local") return local as RoomCommandResult<K>;
    if (outcome.kind === "result") return outcome.value as RoomCommandResult<K>;
    if (outcome.kind === "room_doc_error") throw new RoomDocError(outcome.code as RoomDocError["code"], outcome.message);
    throw new Error(`the room's owner could not make the change (${outcome.kind})`);
  }

  /**
   * Send `message` to the room's owner and wait for its answer; sent again to a new owner when the
   * room changes hands, and run here by `runHere` when this process became the owner meanwhile.
   */
  private async request(room: LoadedRoom, message: ProcessMessage, runHere: () => Promise<void>): Promise<Outcome | "local"> {
    const req = message.t === "reply" ? "" : message.req;
    for (;;) {
      const { sequencer } = room;
      if (sequencer.kind !== "replica") {
        await runHere();
        return "local";
      }
      if (this.deps.rooms.get(room.document.name, room.document) !== room) throw new Error("the room is no longer loaded here");
      try {
        const outcome = await new Promise<Outcome>((resolve, reject) => {
          this.pending.set(req, { room, message, sentAt: Date.now(), resolve, reject });
          void this.send(sequencer.owner, message);
        });
        if (outcome.kind !== "not_owner") return outcome;
        const asked = sequencer.owner;
        await this.takeOrFollow(room);
        // Still the one that said no (it is taking the room up, or giving it up): ask again shortly.
        if (room.sequencer.kind === "replica" && room.sequencer.owner === asked) await new Promise((resolve) => setTimeout(resolve, 50));
      } catch (error) {
        if (!(error instanceof OwnerChanged)) throw error;
      } finally {
        this.pending.delete(req);
      }
    }
  }

  private async send(owner: string, message: ProcessMessage): Promise<void> {
    await this.deps.link.publish(processChannel(owner), JSON.stringify(message)).catch(() => {
      // Redis is away: the resend timer and the reconnect send it again.
    });
  }

  /** Take the room's lease if it is free, else follow whoever holds it. */
  private async takeOrFollow(room: LoadedRoom): Promise<void> {
    const taken = await whenReachable(() => this.deps.leases.acquire(room.document.name));
    if (taken.held && [...this.storing.values()].some((s) => s.room === room)) {
      // This copy holds updates the old owner accepted that may never have been stored: it is
      // not what storage holds, so it must not sequence. It reloads; a clean copy takes the room.
      this.deps.logger.info({ document: room.document.name }, "lease: not taken by a copy with unstored updates; it reloads");
      // Held for the drop to give up at once.
      room.sequencer = { kind: "owner", lease: taken.lease };
      this.deps.onLeaseLost(room.document);
      return;
    }
    if (taken.held) return this.becomeOwner(room, taken.lease);
    this.follow(room, taken.owner);
    await this.catchUp(room);
  }

  private follow(room: LoadedRoom, owner: string): void {
    const before = room.sequencer;
    room.sequencer = { kind: "replica", owner };
    if (before.kind !== "replica" || before.owner !== owner) {
      this.deps.logger.info({ document: room.document.name, owner }, "lease: following the room's owner");
      this.ownerChanged(room);
    }
  }

  private async becomeOwner(room: LoadedRoom, lease: RoomLease): Promise<void> {
    // Everything committed before the lease was ours is in the log: hold it before numbering.
    await this.catchUp(room);
    room.sequencer = { kind: "owner", lease };
    this.deps.logger.info({ document: room.document.name, epoch: lease.epoch }, "lease: sequencing this room");
    await this.publishRoom(room.document.name, { t: "owner", owner: this.processId, epoch: lease.epoch });
    this.ownerChanged(room);
    await this.deps.onBecameOwner(room);
  }

  /** Requests waiting on the room's previous owner go to the new one (or run here). */
  private ownerChanged(room: LoadedRoom): void {
    for (const p of this.pending.values()) if (p.room === room) p.reject(new OwnerChanged());
    this.abandonStoring((s) => s.room === room);
  }

  /** Accepted updates whose `stored` will never come (the owner changed, Redis lost it): their copies reload. */
  private abandonStoring(which: (storing: StoringUpdate) => boolean): void {
    for (const [req, storing] of this.storing) {
      if (!which(storing)) continue;
      this.storing.delete(req);
      storing.settle(new OwnerChanged());
    }
  }

  /** Apply what the log holds after this copy's newest entry. */
  private async catchUp(room: LoadedRoom): Promise<void> {
    const missed = await whenReachable(() => this.deps.store.since(room.document.name, room.lastLogId));
    if (missed.length === 0) return;
    Y.transact(
      room.document,
      () => {
        for (const entry of missed) Y.applyUpdate(room.document, entry.update, REPLICATED);
      },
      REPLICATED,
    );
    room.lastLogId = Math.max(room.lastLogId, ...missed.map((e) => e.id));
  }

  private fanOut(document: Document, id: number, update: Uint8Array): void {
    const room = this.deps.rooms.get(document.name, document);
    if (room?.sequencer.kind !== "owner") return;
    const prev = room.lastLogId;
    room.lastLogId = Math.max(prev, id);
    void this.publishRoom(document.name, { t: "entry", owner: this.processId, prev, id, update: toBase64(update) }).then((sent) => {
      if (!sent) this.unpublished.add(room);
    });
  }

  /** Publish on the room's channel; false when Redis could not be reached. */
  private async publishRoom(documentName: string, message: RoomMessage): Promise<boolean> {
    try {
      await this.deps.link.publish(roomChannel(documentName), JSON.stringify(message));
      return true;
    } catch (err) {
      // A replica that misses an entry catches up from the log: on the next entry, or the head announced later.
      this.deps.logger.debug({ err, document: documentName }, "room plane: publish failed");
      return false;
    }
  }

  /** Announce the newest entry of rooms whose entries could not be published, so idle replicas catch up. */
  private async announceHeads(): Promise<void> {
    for (const room of [...this.unpublished]) {
      if (room.sequencer.kind !== "owner" || this.deps.rooms.get(room.document.name, room.document) !== room) {
        this.unpublished.delete(room);
        continue;
      }
      if (await this.publishRoom(room.document.name, { t: "head", owner: this.processId, id: room.lastLogId }))
        this.unpublished.delete(room);
    }
  }

  private async onRoomMessage(room: LoadedRoom, message: RoomMessage): Promise<void> {
    switch (message.t) {
      case "entry": {
        if (room.sequencer.kind === "owner") return;
        if (message.prev > room.lastLogId) return this.catchUp(room);
        if (message.id <= room.lastLogId) return;
        Y.applyUpdate(room.document, fromBase64(message.update), REPLICATED);
        room.lastLogId = message.id;
        return;
      }
      case "head":
        if (room.sequencer.kind !== "owner" && message.id > room.lastLogId) await this.catchUp(room);
        return;
      case "owner":
        if (message.owner !== this.processId) {
          if (room.sequencer.kind === "owner") {
            // Two processes believed they held the lease: only one can; the fence decides, and the renewal tells.
            return;
          }
          this.follow(room, message.owner);
        }
        return;
      case "released":
        if (room.sequencer.kind === "replica" && message.owner === room.sequencer.owner) await this.takeOrFollow(room);
        return;
      case "aw":
        if (message.from === this.processId) return;
        awarenessProtocol.applyAwarenessUpdate(room.document.awareness, fromBase64(message.update), REMOTE_AWARENESS);
        return;
      default:
        return assertNever(message);
    }
  }

  /** Publish the awareness of this process's clients of the room; apply the others'. */
  private watchAwareness(room: LoadedRoom): void {
    const { awareness } = room.document;
    const onUpdate = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      if (origin === REMOTE_AWARENESS) return;
      if (this.deps.rooms.get(room.document.name, room.document) !== room) {
        awareness.off("update", onUpdate);
        return;
      }
      const changed = [...added, ...updated, ...removed].filter((id) => id !== room.document.clientID);
      if (changed.length === 0) return;
      const update = awarenessProtocol.encodeAwarenessUpdate(awareness, changed);
      void this.publishRoom(room.document.name, { t: "aw", from: this.processId, update: toBase64(update) });
    };
    awareness.on("update", onUpdate);
  }

  private onProcessMessage(text: string): void {
    let message: ProcessMessage;
    try {
      message = processMessageSchema.parse(JSON.parse(text));
    } catch (err) {
      this.deps.logger.warn({ err }, "room plane: a message that does not parse");
      return;
    }
    if (message.t === "reply") {
      this.onReply(message.req, message.outcome);
      return;
    }
    // A request sent again (no answer in time, a reconnect) gets the first one's answer.
    let answer = this.answered.get(message.req);
    if (!answer) {
      answer = this.answer(message).catch((err: unknown): Answer => ({ first: failed(err, this.deps.logger, message.document) }));
      this.answered.set(message.req, answer);
      if (this.answered.size > REMEMBERED_REQUESTS) this.answered.delete(this.answered.keys().next().value as string);
    }
    const reply = (outcome: Outcome) => this.send(message.from, { t: "reply", req: message.req, outcome });
    void answer.then(async ({ first, later }) => {
      await reply(first);
      if (later) await reply(await later.catch((err: unknown) => failed(err, this.deps.logger, message.document)));
    });
  }

  private onReply(req: string, outcome: Outcome): void {
    const storing = this.storing.get(req);
    if (storing && (outcome.kind === "stored" || outcome.kind === "failed")) {
      this.storing.delete(req);
      storing.settle(outcome.kind === "stored" ? undefined : new Error(outcome.kind));
      return;
    }
    const pending = this.pending.get(req);
    if (!pending) return;
    // Registered before the request's waiter runs: its `stored` may be read in the same chunk.
    if (outcome.kind === "accepted") {
      let settle: (error?: unknown) => void = () => {};
      const stored = new Promise<void>((resolve, reject) => {
        settle = (error) => (error ? reject(error) : resolve());
      });
      stored.catch(() => {});
      this.storing.set(req, { room: pending.room, since: Date.now(), stored, settle });
    }
    pending.resolve(outcome);
  }

  /** As the room's owner: judge and store a forwarded update or change. */
  private async answer(message: Extract<ProcessMessage, { t: "update" | "change" }>): Promise<Answer> {
    const decided = await this.decide(message);
    return "first" in decided ? decided : { first: decided };
  }

  private async decide(message: Extract<ProcessMessage, { t: "update" | "change" }>): Promise<Outcome | Answer> {
    const document = this.deps.hocuspocus.documents.get(message.document);
    const room = document ? this.deps.rooms.get(message.document, document) : undefined;
    if (!document || !room) {
      // Not loaded here: a lease this process still holds on it (its release failed) goes now.
      await this.deps.leases.releaseAny(message.document);
      return { kind: "not_owner" };
    }
    if (room.sequencer.kind !== "owner") return { kind: "not_owner" };
    if (message.t === "change") {
      if (!isRoomCommandName(message.name)) return { kind: "failed", message: `no room change is named ${message.name}` };
      try {
        const value = await this.deps.writer.commit(document, message.author, (doc) =>
          runRoomCommand(doc, { name: message.name, input: message.input } as RoomCommand),
        );
        return { kind: "result", value: value ?? null };
      } catch (error) {
        if (error instanceof RoomDocError) return { kind: "room_doc_error", code: error.code, message: error.message };
        throw error;
      }
    }
    let deferred = false;
    let refusal: { code: string; message: string } | null = null;
    const sender: UpdateSender = {
      socketId: message.socketId,
      origin: { source: "local", context: { forwardedFrom: message.from } },
      isOpen: () => true,
      tolerateGap: () => true,
      deferGap: () => {
        deferred = true;
      },
      progressed: () => {},
      refused: (payload) => {
        refusal = JSON.parse(payload) as { code: string; message: string };
      },
    };
    try {
      const applied = await this.deps.gate.acceptFrom(document, sender, message.user, fromBase64(message.payload));
      if (deferred) return { kind: "deferred" };
      if (!applied) {
        await room.durability.whenSettled();
        return { kind: "unchanged" };
      }
      return {
        first: { kind: "accepted", claimed: applied.claimedClientIds },
        later: applied.stored.then((): Outcome => ({ kind: "stored" })),
      };
    } catch (error) {
      const refused = refusal as { code: string; message: string } | null;
      if (error instanceof Refusal && refused) return { kind: "refused", code: refused.code, message: refused.message };
      throw error;
    }
  }

  /** Renew the leases held, drop rooms whose lease was lost, take over rooms whose owner went. */
  private async checkLeases(): Promise<void> {
    if (this.closed) return;
    const rooms = [...this.deps.rooms.all()];
    try {
      for (const lease of [...this.unreleased]) {
        await this.deps.leases.release(lease);
        this.unreleased.delete(lease);
      }
      const owned = rooms.filter((r) => r.sequencer.kind === "owner");
      const leases = owned.map((r) => (r.sequencer as { lease: RoomLease }).lease);
      const held = await this.deps.leases.renew(leases);
      for (const room of owned) {
        if (room.sequencer.kind === "owner" && !held.has(room.document.name)) {
          this.deps.logger.warn({ document: room.document.name }, "lease: lost; the room reloads");
          this.deps.onLeaseLost(room.document);
        }
      }
      const followed = rooms.filter((r) => r.sequencer.kind === "replica");
      const vacant = new Set(await this.deps.leases.vacant(followed.map((r) => r.document.name)));
      for (const room of followed) if (vacant.has(room.document.name)) await this.takeOrFollow(room);
    } catch (err) {
      this.deps.logger.warn({ err }, "lease: check failed (tried again shortly)");
    }
    await this.announceHeads();
    const now = Date.now();
    this.abandonStoring((s) => now - s.since > STORED_WITHIN_MS);
    // Requests unanswered for long (an owner that lost Redis for a moment): send them again.
    for (const p of this.pending.values()) {
      if (now - p.sentAt < RESEND_AFTER_MS || p.room.sequencer.kind !== "replica") continue;
      p.sentAt = now;
      void this.send(p.room.sequencer.owner, p.message);
    }
  }

  /** Redis was away: what was published meanwhile is lost, so catch up from the log and resend. */
  private async afterRedisCameBack(): Promise<void> {
    this.deps.logger.info("room plane: Redis is back; catching up");
    for (const room of this.deps.rooms.all()) {
      if (room.sequencer.kind === "replica") await this.catchUp(room).catch(() => {});
    }
    for (const p of this.pending.values()) {
      if (p.room.sequencer.kind === "replica") void this.send(p.room.sequencer.owner, p.message);
    }
    this.abandonStoring(() => true);
  }
}

/** Refuse the room to a client here as its owner decided (the owner logged the decision). */
function refuse(connection: Connection, code: ErrorCode, message: string): never {
  connection.sendStateless(refusedPayload(code, message));
  throw new Refusal(CLOSE_CODES.refused, code, message);
}

/** A request that failed on the owner, logged there. */
function failed(err: unknown, logger: Logger, document: string): Outcome {
  logger.warn({ err, document }, "room plane: a forwarded change failed");
  return { kind: "failed", message: err instanceof Error ? err.message : String(err) };
}

function parseRoom(text: string): RoomMessage | null {
  try {
    return roomMessageSchema.parse(JSON.parse(text));
  } catch {
    return null;
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
