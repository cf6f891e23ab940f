import * as encoding from "lib0/encoding";
import { afterAll, describe, expect, it } from "vitest";
import { newId } from "../../shared/ids.ts";
import { sendMessage } from "../../shared/room-doc/index.ts";
import { signUpAll } from "../helpers/api-client.ts";
import { backendsUnderTest, createThrowawayDatabase, type ThrowawayDatabase } from "../helpers/backends.ts";
import { RawRoomSocket } from "../helpers/raw-room-socket.ts";
import { type ServerProcess, spawnServer } from "../helpers/server-process.ts";
import { connectSocket, openDocument } from "../helpers/sync-client.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { rawFrame } from "../helpers/yjs-forgery.ts";

// Hocuspocus' server-internal message type (packages/server/src/types.ts MessageType): a client
// sending it makes Hocuspocus throw an error of its own, a stand-in for any unexpected one.
const BROADCAST_STATELESS = 6;

/** The output lines that are JSON log entries, parsed. */
function logEntries(output: string[]): Array<Record<string, unknown>> {
  return output.flatMap((line) => {
    try {
      const entry: unknown = JSON.parse(line);
      return entry && typeof entry === "object" ? [entry as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

describe.each(backendsUnderTest())("what the server prints about a refusal on %s", (backend) => {
  let database: ThrowawayDatabase;
  let server: ServerProcess;
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  it("prints each refusal as one structured line with its code, and no stack trace", async () => {
    database = await createThrowawayDatabase(backend);
    server = await spawnServer(database.env as Record<string, string>);
    const [ana, ben] = await signUpAll(server.url, "ana", "ben");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { type: "direct", participant_ids: [ben.id] })).body.id as string;
    const socket = connectSocket(server.wsUrl);
    try {
      // An update refused by validation (a hook Hocuspocus runs while handling a message)...
      const room = openDocument(socket, `room:${roomId}`, ana.token);
      await room.synced();
      sendMessage(room.doc, { id: newId(), sender_id: ben.id, content: "not ben" });
      await waitFor(() => room.closeReasons.includes("forged_author"), "the forged update to be refused");
      // ...and a document refused at authentication, whose line is the marker that the first
      // refusal's output (written before it was answered) is all in.
      const stranger = openDocument(socket, `room:${roomId}`, "not a token");
      await waitFor(() => stranger.refusals.some((r) => r.code === "unauthenticated"), "the bad token to be refused");
      const entries = () => logEntries(server.output);
      await waitFor(() => entries().some((e) => e.code === "unauthenticated"), "the authentication refusal to be logged");

      for (const code of ["forged_author", "unauthenticated"]) {
        const lines = entries().filter((e) => e.code === code);
        expect(lines, code).toHaveLength(1);
        expect(lines[0]).toMatchObject({ code, document: `room:${roomId}`, connection: expect.any(String) });
      }
      expect(entries().find((e) => e.code === "forged_author")).toMatchObject({ user: ana.id });
      const printed = server.output.join("\n");
      expect(printed).not.toMatch(/^\s+at /m);
      expect(server.output.filter((line) => !line.startsWith("{"))).toEqual([]);
    } finally {
      socket.destroy();
    }
  }, 60_000);

  it("still prints an error that is not a refusal with its stack trace", async () => {
    const [ana, ben] = await signUpAll(server.url, "ana", "ben");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { type: "direct", participant_ids: [ben.id] })).body.id as string;
    const raw = await RawRoomSocket.open(server.wsUrl, `room:${roomId}`, ana.token);
    try {
      const frame = rawFrame(`room:${roomId}`, (e) => {
        encoding.writeVarUint(e, BROADCAST_STATELESS);
        encoding.writeVarString(e, "hello all");
      });
      expect((await raw.send(frame)).kind).toBe("closed");
      const at = await waitFor(() => {
        const index = server.output.findIndex((line) => line.includes("server-internal opcode"));
        return index >= 0 ? index + 1 : null;
      }, "the error to be printed");
      await waitFor(() => server.output.length > at, "its stack");
      expect(server.output[at]).toMatch(/^\s+at /);
    } finally {
      raw.close();
    }
  }, 60_000);
});
