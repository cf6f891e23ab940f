import type { User } from "../../shared/api/common.ts";
import type { ChatRoomResponse } from "../../shared/api/rooms.ts";

/** How a person is called in the app: their display name, else their username. */
export const nameOf = (user: Pick<User, "username" | "display_name">): string => user.display_name ?? user.username;

/** A room's title: the group's name, or the other person in a direct room. */
export function roomTitle(room: ChatRoomResponse, me: string): string {
  if (room.type === "group") return room.name ?? "Group";
  const other = room.participants.find((p) => p.id !== me);
  return other ? nameOf(other) : "Direct chat";
}

/** "5 min ago", "yesterday"…: how long ago, in words. */
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return "a while ago";
  const seconds = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

/** A message's time of day. */
export const timeOf = (iso: string): string => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
