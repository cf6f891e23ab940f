import type * as Y from "yjs";
import { newId } from "../../shared/ids.ts";
import { sendMessage } from "../../shared/room-doc/index.ts";
import type { Queryable } from "../db/database.ts";

/** What happened in a room that its members see as a system line. */
export type RoomEvent =
  | { kind: "room_created"; actor: string; name: string | null }
  | { kind: "member_added"; actor: string; target: string }
  | { kind: "member_removed"; actor: string; target: string }
  | { kind: "member_left"; actor: string }
  | { kind: "member_joined"; actor: string }
  | { kind: "room_renamed"; actor: string; name: string }
  | { kind: "role_changed"; actor: string; target: string; role: "admin" | "member" };

/** Display names of the users an event names, so the line reads "Ana added Ben". */
export async function namesFor(db: Queryable, events: RoomEvent[]): Promise<Map<string, string>> {
  const ids = [...new Set(events.flatMap((e) => ["target" in e ? [e.actor, e.target] : [e.actor]].flat()))];
  const { rows } = await db.query<{ id: string; name: string }>(
    "SELECT id, COALESCE(display_name, username) AS name FROM users WHERE id = ANY($1::uuid[])",
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r.name]));
}

function describe(event: RoomEvent, names: Map<string, string>): string {
  const who = (id: string) => names.get(id) ?? "Someone";
  switch (event.kind) {
    case "room_created":
      return event.name ? `${who(event.actor)} created "${event.name}"` : `${who(event.actor)} started the chat`;
    case "member_added":
      return `${who(event.actor)} added ${who(event.target)}`;
    case "member_removed":
      return `${who(event.actor)} removed ${who(event.target)}`;
    case "member_left":
      return `${who(event.actor)} left`;
    case "member_joined":
      return `${who(event.actor)} joined`;
    case "room_renamed":
      return `${who(event.actor)} renamed the room to "${event.name}"`;
    case "role_changed":
      return `${who(event.actor)} made ${who(event.target)} ${event.role === "admin" ? "an admin" : "a member"}`;
    default:
      return assertNever(event);
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled room event ${JSON.stringify(value)}`);
}

/** Write system messages into a room document (inside a RoomWriter change). */
export function writeSystemMessages(doc: Y.Doc, events: RoomEvent[], names: Map<string, string>): void {
  for (const event of events) {
    sendMessage(doc, {
      id: newId(),
      sender_id: event.actor,
      type: "system",
      content: describe(event, names),
      system_event: {
        kind: event.kind,
        actor_id: event.actor,
        ...("target" in event ? { target_id: event.target } : {}),
        ...("name" in event && event.name ? { name: event.name } : {}),
        ...("role" in event ? { role: event.role } : {}),
      },
    });
  }
}
