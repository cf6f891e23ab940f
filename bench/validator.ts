import * as Y from "yjs";
import { newId } from "../shared/ids.ts";
import { assignSequenceNumbers, initRoomDoc, sendMessage } from "../shared/room-doc/index.ts";
import { validateRoomUpdate } from "../shared/update-validation/index.ts";

const TEXT = "Great session today, same time tomorrow? Bring the resistance bands.";

/**
 * CPU of the validator alone, in this process: microseconds to judge one message update against a
 * room with `history` messages (what validation adds per message, without I/O). Each update is
 * applied after it is judged, as the server does, but only judging is timed.
 */
export function validatorMicrosPerMessage(history: number, messages = 2_000): number {
  const server = new Y.Doc();
  initRoomDoc(server);
  const user = newId();
  server.transact(() => {
    for (let i = 0; i < history; i++) sendMessage(server, { id: newId(), sender_id: user, content: `${TEXT} #${i}` });
  });
  assignSequenceNumbers(server);
  const client = new Y.Doc();
  Y.applyUpdate(client, Y.encodeStateAsUpdate(server));
  const updates: Uint8Array[] = [];
  client.on("update", (u: Uint8Array) => updates.push(u));
  for (let i = 0; i < messages; i++) sendMessage(client, { id: newId(), sender_id: user, content: `${TEXT} ${i}` });
  const bindings = new Map<number, string | null>([[client.clientID, user]]);
  let judging = 0;
  for (const update of updates) {
    const started = process.cpuUsage();
    const verdict = validateRoomUpdate(server, update, { userId: user, mayModerate: false }, bindings);
    const used = process.cpuUsage(started);
    judging += used.user + used.system;
    if (!verdict.ok) throw new Error(verdict.message);
    Y.applyUpdate(server, update);
  }
  return judging / messages;
}
