import * as Y from "yjs";
import type { FriendRequestResponse, FriendResponse } from "../api/friends.ts";
import type { ChatRoomResponse } from "../api/rooms.ts";

/**
 * The private per-user document `user:<id>`: a live, server-written view of what the app must
 * learn without polling (docs/social-graph.md). Clients open it read-only.
 */
export const USER_DOC_SCHEMA_VERSION = 1;

/** What the user document holds, keyed by id. */
export interface UserView {
  friends: Record<string, FriendResponse>;
  requests: Record<string, FriendRequestResponse>;
  rooms: Record<string, ChatRoomResponse>;
}

export const USER_DOC_MAPS = ["friends", "requests", "rooms"] as const satisfies readonly (keyof UserView)[];

/** Read the user document as plain data (what the app renders). */
export function readUserView(doc: Y.Doc): UserView {
  const read = (name: keyof UserView) => doc.getMap<Y.Map<unknown>>(name).toJSON();
  return { friends: read("friends"), requests: read("requests"), rooms: read("rooms") } as UserView;
}

/**
 * Make the document say `view`, writing only what differs. Each entry is a nested map of its
 * fields, so a new message in a room rewrites that room's `unread_count` and `last_message`, not
 * the whole entry with its member list: the update log grows by the change, and an unchanged
 * view costs nothing, so the server may reconcile as often as it likes.
 */
export function writeUserView(doc: Y.Doc, view: UserView): number {
  let writes = 0;
  const meta = doc.getMap("meta");
  if (meta.get("schemaVersion") !== USER_DOC_SCHEMA_VERSION) {
    meta.set("schemaVersion", USER_DOC_SCHEMA_VERSION);
    writes++;
  }
  for (const name of USER_DOC_MAPS) {
    const map = doc.getMap<unknown>(name);
    const wanted = view[name] as Record<string, unknown>;
    for (const key of [...map.keys()]) {
      if (!(key in wanted)) {
        map.delete(key);
        writes++;
      }
    }
    for (const [key, value] of Object.entries(wanted)) {
      const fields = value as Record<string, unknown>;
      const entry = map.get(key);
      if (!(entry instanceof Y.Map)) {
        map.set(key, new Y.Map(Object.entries(fields)));
        writes++;
        continue;
      }
      for (const field of [...entry.keys()]) {
        if (!(field in fields)) {
          entry.delete(field);
          writes++;
        }
      }
      for (const [field, fieldValue] of Object.entries(fields)) {
        if (JSON.stringify(entry.get(field)) !== JSON.stringify(fieldValue)) {
          entry.set(field, fieldValue);
          writes++;
        }
      }
    }
  }
  return writes;
}
