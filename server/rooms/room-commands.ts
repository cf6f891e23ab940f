import type * as Y from "yjs";
import {
  addReaction,
  assertTakesNewMessages,
  deleteMessage,
  editMessage,
  getMessage,
  markRead,
  markReadAt,
  removeReaction,
  sendMessage,
  setLiveSegment,
} from "../../shared/room-doc/index.ts";
import { type RoomEvent, writeSystemMessages } from "./system-messages.ts";

/**
 * Every change the server makes to a room for a REST call, by name, with plain JSON arguments.
 * Named rather than passed as closures because the change runs where the room is sequenced,
 * which with several processes may be another process than the one that took the request.
 */
const roomCommands = {
  send: (doc: Y.Doc, input: Parameters<typeof sendMessage>[1]) => {
    assertTakesNewMessages(doc);
    return sendMessage(doc, input);
  },
  edit: (doc: Y.Doc, input: Parameters<typeof editMessage>[1]) => {
    editMessage(doc, input);
  },
  delete: (doc: Y.Doc, input: Parameters<typeof deleteMessage>[1]) => {
    deleteMessage(doc, input);
  },
  mark_read: (doc: Y.Doc, input: Parameters<typeof markRead>[1]) => markRead(doc, input),
  /** A read marker (in the head) moved to a message of another segment, by its number. */
  mark_read_at: (doc: Y.Doc, input: Parameters<typeof markReadAt>[1]) => markReadAt(doc, input),
  /** The head names the room's new live segment (after the one before it was sealed). */
  set_live_segment: (doc: Y.Doc, input: { segment: number }) => {
    setLiveSegment(doc, input.segment);
  },
  react: (doc: Y.Doc, input: Parameters<typeof addReaction>[1]) => {
    addReaction(doc, input);
  },
  unreact: (doc: Y.Doc, input: Parameters<typeof removeReaction>[1]) => {
    removeReaction(doc, input);
  },
  system_messages: (doc: Y.Doc, input: { events: RoomEvent[]; names: Array<[string, string]> }) => {
    assertTakesNewMessages(doc);
    writeSystemMessages(doc, input.events, new Map(input.names));
  },
  /** A moderator's delete (server admin, admin page or CLI): false when the room has no such message. */
  moderator_delete: (doc: Y.Doc, input: { message_id: string; actor_id: string | null }) => {
    const message = getMessage(doc, input.message_id);
    if (!message) return false;
    deleteMessage(doc, { message_id: input.message_id, actor_id: input.actor_id ?? message.sender_id, may_moderate: true });
    return true;
  },
} as const;

export type RoomCommandName = keyof typeof roomCommands;
export type RoomCommandInput<K extends RoomCommandName> = Parameters<(typeof roomCommands)[K]>[1];
export type RoomCommandResult<K extends RoomCommandName> = ReturnType<(typeof roomCommands)[K]>;

/** One named change with its arguments (what travels to the sequencing process). */
export interface RoomCommand<K extends RoomCommandName = RoomCommandName> {
  name: K;
  input: RoomCommandInput<K>;
}

export function isRoomCommandName(name: string): name is RoomCommandName {
  return Object.hasOwn(roomCommands, name);
}

/** Run `command` on `doc` (inside the server's change of the room). */
export function runRoomCommand<K extends RoomCommandName>(doc: Y.Doc, command: RoomCommand<K>): RoomCommandResult<K> {
  const run = roomCommands[command.name] as (doc: Y.Doc, input: RoomCommandInput<K>) => RoomCommandResult<K>;
  return run(doc, command.input);
}
