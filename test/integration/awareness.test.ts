import type { HocuspocusProviderWebsocket } from "@hocuspocus/provider";
import * as encoding from "lib0/encoding";
import { afterEach, describe, expect, it } from "vitest";
import { AWARENESS_LIMITS } from "../../server/sync/awareness-gate.ts";
import { signUpAll, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { type FrameOutcome, RawRoomSocket } from "../helpers/raw-room-socket.ts";
import { connectSocket, type OpenDocument, openDocument } from "../helpers/sync-client.ts";
import { useTestServer } from "../helpers/test-server.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { rawFrame } from "../helpers/yjs-forgery.ts";

// Hocuspocus message type of an awareness update (packages/server/src/types.ts MessageType).
const AWARENESS = 1;

/** An awareness frame for `documentName` carrying `states` (client id → clock and state) as written by hand. */
function awarenessFrame(documentName: string, states: Array<{ clientId: number; clock: number; state: unknown }>): Uint8Array {
  const update = encoding.createEncoder();
  encoding.writeVarUint(update, states.length);
  for (const { clientId, clock, state } of states) {
    encoding.writeVarUint(update, clientId);
    encoding.writeVarUint(update, clock);
    encoding.writeVarString(update, JSON.stringify(state));
  }
  return rawFrame(documentName, (e) => {
    encoding.writeVarUint(e, AWARENESS);
    encoding.writeVarUint8Array(e, encoding.toUint8Array(update));
  });
}

/** What `viewer` sees in the room's awareness: each other client's state, by client id. */
function seenBy(viewer: OpenDocument): Map<number, Record<string, unknown>> {
  const states = new Map(viewer.provider.awareness?.getStates() ?? []);
  states.delete(viewer.doc.clientID);
  return states;
}

const userIdOf = (state: Record<string, unknown> | undefined) => (state?.user as { id?: string } | undefined)?.id;

describe.each(backendsUnderTest())("awareness (typing, presence) on %s", (backend) => {
  const t = useTestServer(backend);
  const sockets: HocuspocusProviderWebsocket[] = [];
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
  });

  /** Ana, ben and eve in a group, each with the room open on a socket of their own. */
  async function scene(): Promise<
    Record<"ana" | "ben" | "eve", { user: TestUser; socket: HocuspocusProviderWebsocket; room: OpenDocument }>
  > {
    const [ana, ben, eve] = await signUpAll(t.server.url, "ana", "ben", "eve");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { type: "group", name: "Runners", participant_ids: [ben.id, eve.id] })).body
      .id as string;
    const open = async (user: TestUser) => {
      const socket = connectSocket(t.server.wsUrl);
      sockets.push(socket);
      const room = openDocument(socket, `room:${roomId}`, user.token);
      await room.synced();
      return { user, socket, room };
    };
    const [a, b, e] = await Promise.all([open(ana), open(ben), open(eve)]);
    return { ana: a, ben: b, eve: e };
  }

  /** `who` says, as the web app does, that they are here and whether they type; resolves once `viewer` sees it. */
  async function present(who: { user: TestUser; room: OpenDocument }, viewer: OpenDocument, typing: boolean): Promise<void> {
    who.room.provider.setAwarenessField("user", { id: who.user.id, name: who.user.username });
    who.room.provider.setAwarenessField("typing", typing);
    await waitFor(() => seenBy(viewer).get(who.room.doc.clientID)?.typing === typing, `${who.user.username}'s typing=${typing}`);
  }

  it("relays honest presence and typing, with the identity the server stamped from the session", async () => {
    const { ana, ben } = await scene();
    ben.room.provider.setAwarenessField("color", "#f00");
    await present(ben, ana.room, true);
    expect(seenBy(ana.room).get(ben.room.doc.clientID)).toEqual({ user: { id: ben.user.id, name: "ben" }, typing: true });
    await present(ben, ana.room, false);
  });

  it("shows a state that claims another member's identity as its true sender's", async () => {
    const { ana, ben, eve } = await scene();
    eve.room.provider.setAwarenessField("user", { id: ben.user.id, name: "ben" });
    eve.room.provider.setAwarenessField("typing", true);
    await waitFor(() => seenBy(ana.room).get(eve.room.doc.clientID)?.typing === true, "eve's state on ana's side");
    expect(seenBy(ana.room).get(eve.room.doc.clientID)).toEqual({ user: { id: eve.user.id, name: "eve" }, typing: true });
    // Ben is not here: nothing ana sees says he is.
    expect([...seenBy(ana.room).values()].filter((s) => userIdOf(s) === ben.user.id)).toEqual([]);
  });

  it("drops a state for a client id another connection holds, and more ids than one connection may speak for", async () => {
    const { ana, ben, eve } = await scene();
    await present(ben, ana.room, false);
    await present(eve, ana.room, false);
    const bens = ben.room.doc.clientID;
    const fresh = [1_000_001, 1_000_002, 1_000_003];
    const forged = { user: { id: ben.user.id, name: "ben" }, typing: true };
    eve.socket.send(
      awarenessFrame(eve.room.provider.configuration.name, [
        { clientId: bens, clock: 10_000, state: forged },
        ...fresh.map((clientId) => ({ clientId, clock: 1, state: forged })),
      ]),
    );
    // Eve's honest typing after it, on the same connection, is the marker that the frame was handled.
    await present(eve, ana.room, true);

    const seen = seenBy(ana.room);
    expect(seen.get(bens)).toEqual({ user: { id: ben.user.id, name: "ben" }, typing: false });
    expect(ana.room.provider.awareness?.meta.get(bens)?.clock).toBeLessThan(10_000);
    // Eve holds her provider's id and may take one more; whatever she took says it is her.
    const taken = fresh.filter((id) => seen.has(id));
    expect(taken.length).toBeLessThanOrEqual(1);
    for (const id of taken) expect(userIdOf(seen.get(id))).toBe(eve.user.id);
    expect(eve.room.refusals).toEqual([]);
  });

  it("refuses an oversized awareness state before anyone else sees it", async () => {
    const { ana, ben, eve } = await scene();
    eve.room.provider.setAwarenessField("user", { id: eve.user.id, name: "eve" });
    eve.room.provider.setAwarenessField("typing", "x".repeat(64 * 1024));
    await waitFor(() => eve.room.closeReasons.includes("awareness_too_large"), "eve's room to be refused");
    expect(eve.room.refusals).toEqual([{ type: "refused", code: "awareness_too_large", message: expect.any(String) }]);
    // Ben's typing after it is the marker: whatever the server relayed of eve's reached ana first.
    await present(ben, ana.room, true);
    const relayed = [...seenBy(ana.room).values()];
    expect(relayed.every((s) => JSON.stringify(s).length < 1024)).toBe(true);
    expect(ben.room.refusals).toEqual([]);
  });

  it("relays a flood only at the awareness rate, then refuses the room for it", async () => {
    const { ana, ben, eve } = await scene();
    const name = ana.room.provider.configuration.name;
    // A client of eve's of its own, which sends frame after frame and learns what became of each.
    const raw = await RawRoomSocket.open(t.server.wsUrl, name, eve.user.token);
    const flooding = 77_777;
    // The clocks of the flood's frames that reached ana (each frame has its own).
    const reached = new Set<number>();
    ana.room.provider.awareness?.on("update", ({ added, updated }: { added: number[]; updated: number[] }) => {
      const clock = ana.room.provider.awareness?.meta.get(flooding)?.clock;
      if ((added.includes(flooding) || updated.includes(flooding)) && clock !== undefined) reached.add(clock);
    });
    const started = Date.now();
    let sent = 0;
    let outcome: FrameOutcome = { kind: "accepted" };
    try {
      while (outcome.kind === "accepted" && sent < 1_000) {
        sent++;
        outcome = await raw.send(awarenessFrame(name, [{ clientId: flooding, clock: sent, state: { typing: sent % 2 === 0 } }]));
      }
    } finally {
      raw.close();
    }
    const seconds = (Date.now() - started) / 1000;
    expect(outcome).toEqual({ kind: "refused", code: "rate_limited" });
    // Ben's typing after the flood is the marker: whatever the server relayed of it reached ana first.
    await present(ben, ana.room, true);
    // The burst allowance and what the rate refilled meanwhile went through, the rest of the flood did not.
    expect(reached.size).toBeGreaterThan(0);
    expect(reached.size).toBeLessThanOrEqual(AWARENESS_LIMITS.burst + Math.ceil(seconds * AWARENESS_LIMITS.perSecond));
    expect(Math.max(...reached)).toBeLessThan(sent);
    expect(sent).toBeGreaterThan(AWARENESS_LIMITS.burst + AWARENESS_LIMITS.maxDropped);
    expect(eve.room.refusals).toEqual([]);
  });
});
