import * as Y from "yjs";
import type { MyMembership, RoomMember } from "../../shared/api/rooms.ts";
import { roomDocumentName } from "../../shared/document-names.ts";
import { type Api, ApiError } from "../api/http.ts";
import type { LocalCopies } from "./local-copies.ts";

/** A group I was in: what the app says about it, and the names of the people in its history. */
export interface FormerRoom {
  roomId: string;
  name: string | null;
  status: "left" | "removed";
  /** The admin who removed me (their name), when I was removed. */
  removedBy: string | null;
  leftAt: string | null;
  /** Everyone who was in it with me, by id, so the history keeps their names. */
  names: Record<string, string>;
}

const KEY = (userId: string) => `chat.former.${userId}`;

/**
 * Groups I left or was removed from. The server no longer serves me their document (it refuses
 * `not_a_member`), so, as Signal and WhatsApp do, the app keeps this device's copy of the
 * history up to then (IndexedDB) and shows it read-only, with who removed me (from REST). Kept
 * in localStorage and IndexedDB, so it reads offline and after a reload.
 */
export class FormerRooms {
  private readonly rooms: Map<string, FormerRoom | null>;
  private readonly docs = new Map<string, Y.Doc>();
  private readonly listeners = new Set<() => void>();
  private version = 0;

  constructor(
    private readonly userId: string,
    private readonly local: LocalCopies,
    private readonly api: Api,
  ) {
    let stored: Record<string, FormerRoom> = {};
    try {
      stored = JSON.parse(localStorage.getItem(KEY(userId)) ?? "{}") as Record<string, FormerRoom>;
    } catch {
      // A damaged entry is forgotten rather than breaking the app.
    }
    this.rooms = new Map(Object.entries(stored));
  }

  /** Whether the room is one I was in (or the server just told me I am not in any more). */
  has(roomId: string): boolean {
    return this.rooms.has(roomId);
  }

  /** What is known about it; null while the server is still being asked. */
  info(roomId: string): FormerRoom | null {
    return this.rooms.get(roomId) ?? null;
  }

  /** Every former room known, for the room list. */
  all(): FormerRoom[] {
    return [...this.rooms.values()].filter((r): r is FormerRoom => r !== null);
  }

  /** The history as this device kept it: loaded from IndexedDB, never synced again. */
  doc(roomId: string): Y.Doc {
    let doc = this.docs.get(roomId);
    if (!doc) {
      doc = new Y.Doc();
      this.docs.set(roomId, doc);
      void this.local.attach(roomDocumentName(roomId), doc);
    }
    return doc;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  snapshot = (): number => this.version;

  /**
   * The server refused the room `not_a_member`: keep `doc` (the copy in memory, still whole) and
   * ask the server what happened. Left or removed: remembered, read-only. Never a member (a link
   * to a private group): its empty copy is dropped.
   */
  async adopt(roomId: string, doc: Y.Doc): Promise<void> {
    this.docs.set(roomId, doc);
    this.rooms.set(roomId, this.rooms.get(roomId) ?? null);
    this.changed();
    try {
      const mine = await this.api.get<MyMembership>(`/api/v1/chat/rooms/${roomId}/membership`);
      if (mine.status === "member") return this.drop(roomId, false);
      const members = await this.api.get<{ items: RoomMember[] }>(`/api/v1/chat/rooms/${roomId}/members`);
      this.rooms.set(roomId, {
        roomId,
        name: mine.room_name,
        status: mine.status,
        removedBy: mine.removed_by ? (mine.removed_by.display_name ?? mine.removed_by.username) : null,
        leftAt: mine.left_at,
        names: Object.fromEntries(members.items.map((m) => [m.id, m.display_name ?? m.username])),
      });
      this.save();
    } catch (error) {
      // Never mine (404): nothing to keep. Unreachable: the copy stays, shown without the details.
      if (error instanceof ApiError && error.status === 404) await this.drop(roomId, true);
    }
  }

  /** Forget a former room (and its copy, when `clearCopy`), e.g. when I am added back. */
  async drop(roomId: string, clearCopy: boolean): Promise<void> {
    this.rooms.delete(roomId);
    this.docs.delete(roomId);
    this.save();
    if (clearCopy) await this.local.clear(roomDocumentName(roomId));
  }

  private save(): void {
    const known = Object.fromEntries(this.all().map((r) => [r.roomId, r]));
    localStorage.setItem(KEY(this.userId), JSON.stringify(known));
    this.changed();
  }

  private changed(): void {
    this.version++;
    for (const listener of this.listeners) listener();
  }
}
