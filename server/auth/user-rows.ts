import type { User } from "../../shared/api/common.ts";

/** The public columns of a user, in the order every query selects them. */
export const USER_COLUMNS = "id, username, display_name, avatar_url";

/** A user row as the API shows it. */
export function toUser(row: { id: string; username: string; display_name: string | null; avatar_url: string | null }): User {
  return {
    id: row.id,
    username: row.username,
    display_name: row.display_name,
    avatar_url: row.avatar_url,
  };
}
