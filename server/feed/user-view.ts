import type { UserView } from "../../shared/user-doc/index.ts";
import type { Queryable } from "../db/database.ts";
import { allFriends } from "../friends/friendships.ts";
import { allPendingRequests } from "../friends/requests.ts";
import { listMyRooms } from "../rooms/room-queries.ts";

// The room list a live document carries; older rooms are reached through the paged REST list.
const ROOMS_IN_VIEW = 200;

const byId = <T extends { id: string }>(items: T[]): Record<string, T> => Object.fromEntries(items.map((item) => [item.id, item]));

/** What `user:<userId>` should say now, from the database. */
export async function loadUserView(db: Queryable, userId: string): Promise<UserView> {
  // One after another: `db` may be a transaction's single connection.
  const friends = await allFriends(db, userId);
  const requests = await allPendingRequests(db, userId);
  const rooms = await listMyRooms(db, userId, { limit: ROOMS_IN_VIEW });
  return { friends: byId(friends), requests: byId(requests), rooms: byId(rooms?.items ?? []) };
}
