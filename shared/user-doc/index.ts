import type * as Y from "yjs";
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
  const read = <T>(name: keyof UserView) => Object.fromEntries(doc.getMap<T>(name).entries()) as Record<string, T>;
  return { friends: read("friends"), requests: read("requests"), rooms: read("rooms") };
}

/**
 * Make the document say `view`, writing only entries that differ: an unchanged entry costs
 * nothing, so the server may reconcile as often as it likes.
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
      if (JSON.stringify(map.get(key)) !== JSON.stringify(value)) {
        map.set(key, value);
        writes++;
      }
    }
  }
  return writes;
}
