import type { HocuspocusProviderWebsocket } from "@hocuspocus/provider";
import { afterEach, expect } from "vitest";
import * as Y from "yjs";
import { newId } from "../../shared/ids.ts";
import { roomMaps, sendMessage } from "../../shared/room-doc/index.ts";
import { signUpAll, type TestUser } from "./api-client.ts";
import { connectSocket, type OpenDocument, openDocument } from "./sync-client.ts";
import type { TestServer } from "./test-server.ts";
import { waitFor } from "./wait-for.ts";

/** New sockets for a test, each destroyed after it. */
export function useSockets(server: () => TestServer): () => HocuspocusProviderWebsocket {
  const open: HocuspocusProviderWebsocket[] = [];
  afterEach(() => {
    for (const socket of open.splice(0)) socket.destroy();
  });
  return () => {
    const socket = connectSocket(server().wsUrl);
    open.push(socket);
    return socket;
  };
}

/** One user's socket with the group room and a second room open on it, as the web app keeps them. */
export interface Tabs {
  user: TestUser;
  socket: HocuspocusProviderWebsocket;
  room: OpenDocument;
  elsewhere: OpenDocument;
}

/**
 * A group room made by ana (its admin) with ben and eve, and one accepted message from each:
 * ana's over REST, ben's and eve's over the WebSocket (so the server has seen their Yjs client
 * ids write). Ben's tab is the bystander; eve has the room and her direct room with ana open on
 * one socket.
 */
export interface RoomScene {
  roomId: string;
  name: string;
  /** The direct room of eve and ana. */
  otherRoomId: string;
  ana: TestUser;
  ben: TestUser;
  eve: TestUser;
  benSocket: HocuspocusProviderWebsocket;
  benTab: OpenDocument;
  eveTabs: Tabs;
  anasMessage: string;
  bensMessage: string;
  evesMessage: string;
}

/** Build a RoomScene on `baseUrl`, opening sockets with `socket`. */
export async function setUpRoomScene(baseUrl: string, socket: () => HocuspocusProviderWebsocket): Promise<RoomScene> {
  const [ana, ben, eve] = await signUpAll(baseUrl, "ana", "ben", "eve");
  const roomId = (await ana.api.post("/api/v1/chat/rooms", { type: "group", name: "Track club", participant_ids: [ben.id, eve.id] })).body
    .id as string;
  const otherRoomId = (await eve.api.post("/api/v1/chat/rooms", { participant_ids: [ana.id] })).body.id as string;
  const name = `room:${roomId}`;
  const benSocket = socket();
  const benTab = openDocument(benSocket, name, ben.token);
  const eveTabs = await openTabs(socket(), eve, roomId, otherRoomId);
  await benTab.synced();
  const anasMessage = (await ana.api.post(`/api/v1/chat/messages/${roomId}`, { content: "Intervals at 7?" })).body.id as string;
  const bensMessage = newId();
  sendMessage(benTab.doc, { id: bensMessage, sender_id: ben.id, content: "Count me in" });
  await benTab.saved();
  const evesMessage = newId();
  sendMessage(eveTabs.room.doc, { id: evesMessage, sender_id: eve.id, content: "Me too" });
  await eveTabs.room.saved();
  const ids = [anasMessage, bensMessage, evesMessage];
  const accepted = (doc: Y.Doc) => ids.every((id) => roomMaps(doc).seq.has(id));
  await waitFor(() => accepted(benTab.doc) && accepted(eveTabs.room.doc), "the three messages accepted on every tab");
  return { roomId, name, otherRoomId, ana, ben, eve, benSocket, benTab, eveTabs, anasMessage, bensMessage, evesMessage };
}

/** Open `roomId` and `otherRoomId` for `user` on `socket`, both synced. */
export async function openTabs(socket: HocuspocusProviderWebsocket, user: TestUser, roomId: string, otherRoomId: string): Promise<Tabs> {
  const room = openDocument(socket, `room:${roomId}`, user.token);
  const elsewhere = openDocument(socket, `room:${otherRoomId}`, user.token);
  await Promise.all([room.synced(), elsewhere.synced()]);
  return { user, socket, room, elsewhere };
}

/**
 * Record whether `trace` ever held on `doc` from now on, checked after every transaction, so a
 * change that appears and is then undone is still caught.
 */
export function watchFor(doc: Y.Doc, trace: (doc: Y.Doc) => boolean): { seen(): boolean; stop(): void } {
  let seen = trace(doc);
  const check = () => {
    seen ||= trace(doc);
  };
  doc.on("afterTransaction", check);
  return { seen: () => seen, stop: () => doc.off("afterTransaction", check) };
}

/** The room's messages as REST returns them to `user` (the last `limit`). */
export async function restMessages(user: TestUser, roomId: string, limit = 100): Promise<any[]> {
  const res = await user.api.get(`/api/v1/chat/messages/${roomId}?limit=${limit}`);
  if (res.status !== 200) throw new Error(`GET messages: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.items;
}

/** The room as stored: the newest snapshot plus the update log after it, as a load would read it. */
export async function storedRoom(server: TestServer, roomId: string): Promise<Y.Doc> {
  const loaded = await server.context.store.load(`room:${roomId}`);
  const doc = new Y.Doc();
  if (loaded) Y.applyUpdate(doc, loaded.state);
  return doc;
}

/**
 * Wait until the server acknowledged every change of `tab`, failing at once (with the server's
 * reason) if it refused or closed the document instead.
 */
export async function acknowledged(tab: OpenDocument): Promise<void> {
  await waitFor(
    () => tab.refusals.length > 0 || tab.closeReasons.length > 0 || (tab.provider.isSynced && !tab.provider.hasUnsyncedChanges),
    `${tab.provider.configuration.name} to be acknowledged`,
  );
  expectNoRefusals(tab);
}

/** Assert the server refused nothing and closed nothing on any of `tabs`. */
export function expectNoRefusals(...tabs: OpenDocument[]): void {
  for (const tab of tabs) {
    expect({ refusals: tab.refusals, closeReasons: tab.closeReasons }).toEqual({ refusals: [], closeReasons: [] });
  }
}
