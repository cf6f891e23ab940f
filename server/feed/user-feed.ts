import type { Document, Hocuspocus } from "@hocuspocus/server";
import { parseDocumentName } from "../../shared/document-names.ts";
import { writeUserView } from "../../shared/user-doc/index.ts";
import type { ClusterBus, ClusterEvent } from "../cluster/bus.ts";
import type { Queryable } from "../db/database.ts";
import type { Logger } from "../logger.ts";
import type { RoomWriter } from "../sync/room-writer.ts";
import { loadUserView } from "./user-view.ts";

// Changes arriving this close together are written to a user document once.
const SETTLE_MS = 50;
// A busy room announces itself at most this often.
const ROOM_ANNOUNCE_MS = 150;
// NOTIFY payloads are capped at 8000 bytes: announce users and rooms in chunks.
const USERS_PER_EVENT = 100;
const ROOMS_PER_EVENT = 100;

const SERVER = { origin: "server" as const, userId: null, connectionId: null };

/**
 * Keeps every loaded `user:<id>` document in step with the database. Routes and the sync server
 * announce what changed on the cluster bus; each process refreshes the user documents it holds
 * that the change concerns, so the owner sees friends come online, requests arrive and rooms
 * move without polling. A refresh recomputes the whole view and writes only what differs.
 */
export class UserFeed {
  private readonly settling = new Map<string, NodeJS.Timeout>();
  private readonly tails = new Map<string, Promise<void>>();
  /** Rooms changed since the last announcement: one event for all of them every ROOM_ANNOUNCE_MS. */
  private changedRooms = new Set<string>();
  private announcing: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Queryable,
    private readonly hocuspocus: Hocuspocus,
    private readonly writer: RoomWriter,
    private readonly bus: ClusterBus,
    private readonly logger: Logger,
  ) {
    bus.subscribe((event) => {
      this.onEvent(event).catch((err: unknown) => logger.warn({ err, event: event.type }, "user feed refresh failed"));
    });
  }

  /** These users' friends, requests or settings changed. */
  async usersChanged(userIds: string[]): Promise<void> {
    const unique = [...new Set(userIds)];
    for (let i = 0; i < unique.length; i += USERS_PER_EVENT) {
      await this.bus.publish({ type: "feed_changed", userIds: unique.slice(i, i + USERS_PER_EVENT) });
    }
  }

  /** Something in the room changed: its members' room lists must show it. */
  roomChanged(roomId: string): void {
    this.changedRooms.add(roomId);
    this.announcing ??= setTimeout(() => {
      this.announcing = null;
      const roomIds = [...this.changedRooms];
      this.changedRooms = new Set();
      for (let i = 0; i < roomIds.length; i += ROOMS_PER_EVENT) {
        this.bus
          .publish({ type: "rooms_changed", roomIds: roomIds.slice(i, i + ROOMS_PER_EVENT) })
          .catch((err: unknown) => this.logger.warn({ err }, "room announce failed"));
      }
    }, ROOM_ANNOUNCE_MS).unref();
  }

  /** Bring a user document up to date now (when it loads, before its owner syncs). */
  async refresh(document: Document): Promise<void> {
    const name = parseDocumentName(document.name);
    if (name?.kind !== "user") return;
    const view = await loadUserView(this.db, name.userId);
    await this.writer.commit(document, SERVER, (doc) => writeUserView(doc, view));
  }

  private loadedUserDocuments(): { userId: string; document: Document }[] {
    const found = [];
    for (const [documentName, document] of this.hocuspocus.documents) {
      const name = parseDocumentName(documentName);
      if (name?.kind === "user") found.push({ userId: name.userId, document });
    }
    return found;
  }

  private async onEvent(event: ClusterEvent): Promise<void> {
    const loaded = this.loadedUserDocuments();
    if (loaded.length === 0) return;
    switch (event.type) {
      case "user_suspended":
        return;
      case "presence_changed":
        for (const { document } of loaded) if (document.getMap("friends").has(event.userId)) this.schedule(document);
        return;
      case "feed_changed": {
        const concerned = new Set(event.userIds);
        for (const { userId, document } of loaded) if (concerned.has(userId)) this.schedule(document);
        return;
      }
      case "room_changed":
      case "rooms_changed": {
        const roomIds = event.type === "room_changed" ? [event.roomId] : event.roomIds;
        // Current members (a new one's list lacks the room) and whoever lists it (one who left).
        const { rows } = await this.db.query<{ user_id: string }>(
          "SELECT DISTINCT user_id::text FROM chat_participants WHERE room_id = ANY($1::uuid[]) AND left_at IS NULL AND user_id = ANY($2::uuid[])",
          [roomIds, loaded.map((l) => l.userId)],
        );
        const members = new Set(rows.map((r) => r.user_id));
        for (const { userId, document } of loaded) {
          if (members.has(userId) || roomIds.some((id) => document.getMap("rooms").has(id))) this.schedule(document);
        }
        return;
      }
      default:
        return;
    }
  }

  /** Refresh soon, once for a burst of changes, and never two refreshes of one document at once. */
  private schedule(document: Document): void {
    if (this.settling.has(document.name)) return;
    const timer = setTimeout(() => {
      this.settling.delete(document.name);
      const previous = this.tails.get(document.name) ?? Promise.resolve();
      const next = previous
        .then(() => this.refresh(document))
        .catch((err: unknown) => this.logger.warn({ err, document: document.name }, "user document refresh failed"))
        .finally(() => {
          if (this.tails.get(document.name) === next) this.tails.delete(document.name);
        });
      this.tails.set(document.name, next);
    }, SETTLE_MS);
    timer.unref();
    this.settling.set(document.name, timer);
  }
}
