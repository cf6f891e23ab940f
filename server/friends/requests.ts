import type { FriendRequestResponse } from "../../shared/api/friends.ts";
import type { FriendRequestsFrom } from "../../shared/api/users.ts";
import { newId } from "../../shared/ids.ts";
import type { Queryable } from "../db/database.ts";
import { decodeTimeCursor, encodeCursor } from "../http/cursor.ts";
import { HttpError } from "../http/http-error.ts";
import { befriend } from "./friendships.ts";
import { lockPair } from "./pair-lock.ts";
import { areFriends, mutualFriendCount } from "./relations.ts";

const REQUEST_SELECT = `SELECT r.id, r.requester_id, COALESCE(a.display_name, a.username) AS requester_name, a.avatar_url AS requester_avatar,
       r.requestee_id, COALESCE(b.display_name, b.username) AS requestee_name, b.avatar_url AS requestee_avatar,
       r.status, r.message, r.created_at, r.responded_at
  FROM friend_requests r JOIN users a ON a.id = r.requester_id JOIN users b ON b.id = r.requestee_id`;

interface RequestRow extends Omit<FriendRequestResponse, "created_at" | "responded_at"> {
  created_at: Date;
  responded_at: Date | null;
}

const toRequest = (row: RequestRow): FriendRequestResponse => ({
  ...row,
  created_at: row.created_at.toISOString(),
  responded_at: row.responded_at?.toISOString() ?? null,
});

async function requestById(db: Queryable, id: string, lock = false): Promise<FriendRequestResponse | null> {
  const { rows } = await db.query<RequestRow>(`${REQUEST_SELECT} WHERE r.id = $1${lock ? " FOR UPDATE OF r" : ""}`, [id]);
  return rows[0] ? toRequest(rows[0]) : null;
}

/** The pending request between two users, whichever of them sent it. */
async function pendingBetween(tx: Queryable, a: string, b: string): Promise<FriendRequestResponse | null> {
  const { rows } = await tx.query<RequestRow>(
    `${REQUEST_SELECT} WHERE r.status = 'pending'
        AND ((r.requester_id = $1 AND r.requestee_id = $2) OR (r.requester_id = $2 AND r.requestee_id = $1))`,
    [a, b],
  );
  return rows[0] ? toRequest(rows[0]) : null;
}

/** Pending requests I received or sent, newest first; null for a foreign cursor. */
export async function listPendingRequests(
  db: Queryable,
  meId: string,
  page: { direction: "received" | "sent"; before?: string; limit: number },
): Promise<{ items: FriendRequestResponse[]; next_cursor: string | null } | null> {
  const mine = page.direction === "received" ? "r.requestee_id" : "r.requester_id";
  const params: unknown[] = [meId, page.limit + 1];
  let where = `${mine} = $1 AND r.status = 'pending'`;
  if (page.before) {
    const cursor = decodeTimeCursor(page.before);
    if (!cursor) return null;
    params.push(cursor[0], cursor[1]);
    where += " AND (r.created_at, r.id) < ($3::timestamptz, $4::uuid)";
  }
  // The cursor keeps the database's own text of the time: microseconds, which an ISO string drops.
  const { rows } = await db.query<RequestRow & { sort_at: string }>(
    `${REQUEST_SELECT.replace("SELECT ", "SELECT r.created_at::text AS sort_at, ")} WHERE ${where} ORDER BY r.created_at DESC, r.id DESC LIMIT $2`,
    params,
  );
  const page_ = rows.slice(0, page.limit);
  const last = page_.at(-1);
  return {
    items: page_.map(({ sort_at: _, ...row }) => toRequest(row)),
    next_cursor: rows.length > page.limit && last ? encodeCursor(last.sort_at, last.id) : null,
  };
}

/** Every pending request of a user, both directions (for their live user document). */
export async function allPendingRequests(db: Queryable, userId: string): Promise<FriendRequestResponse[]> {
  const { rows } = await db.query<RequestRow>(
    `${REQUEST_SELECT} WHERE r.status = 'pending' AND (r.requester_id = $1 OR r.requestee_id = $1)`,
    [userId],
  );
  return rows.map(toRequest);
}

/** The outcome of sending a request: a new pending one, or theirs to me accepted. */
export interface SendOutcome {
  request: FriendRequestResponse;
  created: boolean;
}

/**
 * Send a friend request from `me` to `them`, deciding everything under the pair's lock. When
 * their request to me is pending, that is an answer: it is accepted and we become friends.
 */
export async function sendFriendRequest(
  tx: Queryable,
  me: string,
  them: string,
  message: string | null,
  cooldownHours: number,
): Promise<SendOutcome> {
  if (me === them) throw new HttpError("request_to_self", "You cannot send a friend request to yourself.");
  await lockPair(tx, me, them);
  const { rows } = await tx.query<{ friend_requests_from: FriendRequestsFrom; blocked_me: boolean; blocked_them: boolean }>(
    `SELECT u.friend_requests_from,
            EXISTS (SELECT 1 FROM user_blocks WHERE blocker_id = u.id AND blocked_id = $1) AS blocked_me,
            EXISTS (SELECT 1 FROM user_blocks WHERE blocker_id = $1 AND blocked_id = u.id) AS blocked_them
       FROM users u WHERE u.id = $2`,
    [me, them],
  );
  const target = rows[0];
  if (!target) throw new HttpError("user_not_found", "No such user.");
  // A block is answered like a privacy refusal, so the blocked person cannot tell them apart.
  if (target.blocked_me) throw new HttpError("requests_not_accepted", "This person does not accept friend requests from you.");
  if (target.blocked_them) throw new HttpError("requests_not_accepted", "You blocked this person: unblock them first.");
  if (await areFriends(tx, me, them)) throw new HttpError("already_friends", "You are already friends.");

  const pending = await pendingBetween(tx, me, them);
  if (pending?.requester_id === me) throw new HttpError("request_pending", "Your request to this person is still pending.");
  if (pending) {
    await tx.query("UPDATE friend_requests SET status = 'accepted', responded_at = now() WHERE id = $1", [pending.id]);
    await befriend(tx, me, them);
    return { request: (await requestById(tx, pending.id)) as FriendRequestResponse, created: false };
  }

  const retryAfter = await cooldownLeftSeconds(tx, me, them, cooldownHours);
  if (retryAfter > 0) {
    throw new HttpError("request_cooldown", "This person declined your last request; you may ask again later.", {
      "retry-after": String(retryAfter),
    });
  }
  if (target.friend_requests_from === "nobody") {
    throw new HttpError("requests_not_accepted", "This person does not accept friend requests from you.");
  }
  if (target.friend_requests_from === "friends_of_friends" && (await mutualFriendCount(tx, me, them)) === 0) {
    throw new HttpError("requests_not_accepted", "This person does not accept friend requests from you.");
  }
  const id = newId();
  await tx.query("INSERT INTO friend_requests (id, requester_id, requestee_id, message) VALUES ($1, $2, $3, $4)", [id, me, them, message]);
  return { request: (await requestById(tx, id)) as FriendRequestResponse, created: true };
}

/** Seconds until `me` may ask `them` again after their last decline (0: now). */
async function cooldownLeftSeconds(tx: Queryable, me: string, them: string, cooldownHours: number): Promise<number> {
  const { rows } = await tx.query<{ left: number | null }>(
    `SELECT ceil(extract(epoch FROM max(responded_at) + make_interval(secs => $3::float8 * 3600) - now()))::int AS left
       FROM friend_requests WHERE requester_id = $1 AND requestee_id = $2 AND status = 'declined'`,
    [me, them, cooldownHours],
  );
  return Math.max(0, rows[0]?.left ?? 0);
}

/** A request I am part of, locked with its pair; 404 for anyone else's. */
async function myRequest(tx: Queryable, me: string, id: string): Promise<FriendRequestResponse> {
  const found = await requestById(tx, id);
  if (!found || (found.requester_id !== me && found.requestee_id !== me)) {
    throw new HttpError("friend_request_not_found", "No such friend request.");
  }
  await lockPair(tx, found.requester_id, found.requestee_id);
  // Read again under the lock: the status may have changed while we waited.
  return (await requestById(tx, id, true)) as FriendRequestResponse;
}

/** The requestee accepts or declines a pending request. */
export async function answerFriendRequest(
  tx: Queryable,
  me: string,
  id: string,
  answer: "accepted" | "declined",
): Promise<FriendRequestResponse> {
  const request = await myRequest(tx, me, id);
  if (request.requester_id === me) throw new HttpError("cannot_answer_own_request", "Only the person you asked may answer this request.");
  if (request.status !== "pending") throw new HttpError("request_not_pending", `This request was already ${request.status}.`);
  await tx.query("UPDATE friend_requests SET status = $2, responded_at = now() WHERE id = $1", [id, answer]);
  if (answer === "accepted") await befriend(tx, request.requester_id, request.requestee_id);
  return (await requestById(tx, id)) as FriendRequestResponse;
}

/** The requester takes back a pending request. */
export async function cancelFriendRequest(tx: Queryable, me: string, id: string): Promise<FriendRequestResponse> {
  const request = await myRequest(tx, me, id);
  if (request.requester_id !== me) throw new HttpError("not_requester", "Only the sender may cancel a request; decline it instead.");
  if (request.status !== "pending") throw new HttpError("request_not_pending", `This request was already ${request.status}.`);
  await tx.query("UPDATE friend_requests SET status = 'cancelled', responded_at = now() WHERE id = $1", [id]);
  return (await requestById(tx, id)) as FriendRequestResponse;
}

/** Cancel whatever is pending between two users (a block ends it). */
export async function cancelPendingBetween(tx: Queryable, a: string, b: string): Promise<void> {
  await tx.query(
    `UPDATE friend_requests SET status = 'cancelled', responded_at = now()
      WHERE status = 'pending' AND ((requester_id = $1 AND requestee_id = $2) OR (requester_id = $2 AND requestee_id = $1))`,
    [a, b],
  );
}
