import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { FriendResponse } from "../../shared/api/friends.ts";
import { readUserView, type UserView, writeUserView } from "../../shared/user-doc/index.ts";

const friend = (id: string, is_online: boolean): FriendResponse => ({
  id,
  username: `user_${id}`,
  display_name: null,
  avatar_url: null,
  is_online,
  last_seen: null,
  friends_since: "2026-11-01T10:00:00.000Z",
});
const view = (friends: FriendResponse[]): UserView => ({
  friends: Object.fromEntries(friends.map((f) => [f.id, f])),
  requests: {},
  rooms: {},
});

describe("the user document", () => {
  it("reads back exactly the view the server wrote", () => {
    const doc = new Y.Doc();
    const wanted = view([friend("a", true), friend("b", false)]);
    writeUserView(doc, wanted);
    expect(readUserView(doc)).toEqual(wanted);
  });

  it("writes nothing when nothing changed, and only the changed field when one did", () => {
    const doc = new Y.Doc();
    writeUserView(doc, view([friend("a", false)]));
    const updates: Uint8Array[] = [];
    doc.on("update", (u: Uint8Array) => updates.push(u));
    expect(writeUserView(doc, view([friend("a", false)]))).toBe(0);
    expect(updates).toHaveLength(0);

    expect(writeUserView(doc, view([friend("a", true)]))).toBe(1);
    expect(readUserView(doc).friends.a?.is_online).toBe(true);
    // The update carries the one field, not the friend's whole entry.
    expect(updates[0]?.byteLength).toBeLessThan(60);
  });

  it("drops entries that are gone, and a client copy converges to the server's", () => {
    const server = new Y.Doc();
    writeUserView(server, view([friend("a", true), friend("b", true)]));
    const client = new Y.Doc();
    Y.applyUpdate(client, Y.encodeStateAsUpdate(server));
    writeUserView(server, view([friend("b", false)]));
    Y.applyUpdate(client, Y.encodeStateAsUpdate(server, Y.encodeStateVector(client)));
    expect(readUserView(client)).toEqual(view([friend("b", false)]));
  });
});
