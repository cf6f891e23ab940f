import type { FastifyInstance } from "fastify";
import { uuidParam } from "../../shared/api/common.ts";
import {
  addMembersSchema,
  type ChatRoomResponse,
  chatRoomCreateSchema,
  chatRoomUpdateSchema,
  roomListQuerySchema,
  roomSettingsSchema,
  setRoleSchema,
} from "../../shared/api/rooms.ts";
import { newId } from "../../shared/ids.ts";
import type { AppContext } from "../app-context.ts";
import { requireUser } from "../auth/require-user.ts";
import type { SessionUser } from "../auth/sessions.ts";
import { HttpError } from "../http/http-error.ts";
import { parse } from "../http/parse.ts";
import { isBlockedBetween } from "./blocking.ts";
import { memberDirectoryRoutes } from "./member-directory.ts";
import { findRoom, listMyRooms } from "./room-queries.ts";
import { namesFor, type RoomEvent } from "./system-messages.ts";

const roomIdParams = (params: unknown) => parse(uuidParam, (params as { room_id?: string }).room_id, "room_id");
const userIdParam = (params: unknown) => parse(uuidParam, (params as { user_id?: string }).user_id, "user_id");

/** /api/v1/chat/rooms: direct and group rooms, membership, roles and my settings. */
export function roomRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db, bus } = ctx;
  memberDirectoryRoutes(app, ctx);

  async function announce(roomId: string, events: RoomEvent[]): Promise<void> {
    if (events.length === 0) return;
    const names = await namesFor(db, events);
    await ctx.rooms.write(roomId, { origin: "server", userId: events[0]?.actor ?? null, connectionId: null }, "system_messages", {
      events,
      names: [...names],
    });
  }

  async function roomForMember(me: SessionUser, roomId: string) {
    const room = await findRoom(db, me.id, roomId);
    if (!room) throw new HttpError("not_found", "No such room.");
    if (!room.is_member) throw new HttpError("not_a_member", "You are not a member of this room.");
    return room;
  }

  async function groupForAdmin(me: SessionUser, roomId: string) {
    const room = await roomForMember(me, roomId);
    if (room.type !== "group") throw new HttpError("conflict", "Direct rooms have no admins or members to manage.");
    if (room.my_role !== "admin") throw new HttpError("not_room_admin", "Only a room admin may do this.");
    return room;
  }

  async function assertUsersExist(ids: string[]): Promise<void> {
    const { rows } = await db.query<{ id: string }>("SELECT id FROM users WHERE id = ANY($1::uuid[])", [ids]);
    const found = new Set(rows.map((r) => r.id));
    const missing = ids.find((id) => !found.has(id));
    if (missing) throw new HttpError("not_found", `No user ${missing}.`);
  }

  async function revoke(roomId: string, userId: string): Promise<void> {
    await bus.publish({ type: "membership_revoked", roomId, userId });
  }

  const respond = async (me: SessionUser, roomId: string): Promise<ChatRoomResponse> => {
    const room = await findRoom(db, me.id, roomId);
    if (!room) throw new HttpError("not_found", "No such room.");
    const { is_member: _, ...response } = room;
    return response;
  };

  app.get("/api/v1/chat/rooms", async (request) => {
    const me = await requireUser(db, request);
    const query = parse(roomListQuerySchema, request.query, "query");
    const page = await listMyRooms(db, me.id, {
      before: query.before,
      limit: query.limit,
      archived: query.archived === undefined ? undefined : query.archived === "true",
    });
    if (!page) throw new HttpError("invalid_request", "query.before: not a cursor this server made.");
    return page;
  });

  app.post("/api/v1/chat/rooms", async (request, reply) => {
    const me = await requireUser(db, request);
    const body = parse(chatRoomCreateSchema, request.body);
    const others = [...new Set(body.participant_ids.filter((id) => id !== me.id))];
    if (body.type === "direct") {
      const other = others[0];
      if (!other) throw new HttpError("invalid_request", "body.participant_ids: a direct room needs someone else.");
      await assertUsersExist([other]);
      if (await isBlockedBetween(db, me.id, other)) throw new HttpError("blocked", "You cannot start a chat with this user.");
      const key = [me.id, other].sort().join(":");
      const roomId = newId();
      const created = await db.transaction(async (tx) => {
        const inserted = await tx.query(
          `INSERT INTO chat_rooms (id, type, direct_key, created_by, context_type, context_id)
           VALUES ($1, 'direct', $2, $3, $4, $5) ON CONFLICT (direct_key) DO NOTHING RETURNING id`,
          [roomId, key, me.id, body.context?.type ?? null, body.context?.id ?? null],
        );
        if (inserted.rows.length === 0) return false;
        await tx.query(`INSERT INTO chat_participants (room_id, user_id, role) VALUES ($1, $2, 'member'), ($1, $3, 'member')`, [
          roomId,
          me.id,
          other,
        ]);
        return true;
      });
      if (!created) {
        // Get: the pair's room exists. Opening it again brings it back for me if I had left it.
        const { rows } = await db.query<{ id: string }>("SELECT id FROM chat_rooms WHERE direct_key = $1", [key]);
        const existing = rows[0];
        if (!existing) throw new Error("direct room vanished");
        await db.query(`UPDATE chat_participants SET is_archived = false, left_at = NULL WHERE room_id = $1 AND user_id = $2`, [
          existing.id,
          me.id,
        ]);
        await ctx.feed.usersChanged([me.id]);
        return respond(me, existing.id);
      }
      await ctx.feed.usersChanged([me.id, other]);
      reply.code(201);
      return respond(me, roomId);
    }

    await assertUsersExist(others);
    const roomId = newId();
    await db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO chat_rooms (id, type, name, description, visibility, created_by, context_type, context_id)
         VALUES ($1, 'group', $2, $3, $4, $5, $6, $7)`,
        [
          roomId,
          body.name,
          body.description ?? null,
          body.visibility ?? "private",
          me.id,
          body.context?.type ?? null,
          body.context?.id ?? null,
        ],
      );
      await tx.query(
        `INSERT INTO chat_participants (room_id, user_id, role)
         SELECT $1, u, CASE WHEN u = $2 THEN 'admin' ELSE 'member' END FROM unnest($3::uuid[]) AS u`,
        [roomId, me.id, [me.id, ...others]],
      );
    });
    await announce(roomId, [
      { kind: "room_created", actor: me.id, name: body.name ?? null },
      ...others.map((target): RoomEvent => ({ kind: "member_added", actor: me.id, target })),
    ]);
    reply.code(201);
    return respond(me, roomId);
  });

  app.get("/api/v1/chat/rooms/:room_id", async (request) => {
    const me = await requireUser(db, request);
    const roomId = roomIdParams(request.params);
    const room = await findRoom(db, me.id, roomId);
    // Public groups can be looked at before joining; anything else only by its members.
    if (!room || (!room.is_member && room.visibility !== "public")) throw new HttpError("not_found", "No such room.");
    return respond(me, roomId);
  });

  app.put("/api/v1/chat/rooms/:room_id", async (request) => {
    const me = await requireUser(db, request);
    const roomId = roomIdParams(request.params);
    const body = parse(chatRoomUpdateSchema, request.body);
    const room = await groupForAdmin(me, roomId);
    await db.query(
      `UPDATE chat_rooms SET name = COALESCE($2, name),
         description = CASE WHEN $3 THEN $4 ELSE description END,
         visibility = COALESCE($5, visibility), slow_mode_seconds = COALESCE($6, slow_mode_seconds),
         content_filter = CASE WHEN $7 THEN $8 ELSE content_filter END,
         updated_at = now() WHERE id = $1`,
      [
        roomId,
        body.name ?? null,
        body.description !== undefined,
        body.description ?? null,
        body.visibility ?? null,
        body.slow_mode_seconds ?? null,
        body.content_filter !== undefined,
        body.content_filter ?? null,
      ],
    );
    // Every process holding the room applies its new slow mode and filter at once.
    await bus.publish({ type: "room_settings_changed", roomId });
    if (body.name && body.name !== room.name) await announce(roomId, [{ kind: "room_renamed", actor: me.id, name: body.name }]);
    else ctx.feed.roomChanged(roomId);
    return respond(me, roomId);
  });

  app.delete("/api/v1/chat/rooms/:room_id", async (request, reply) => {
    const me = await requireUser(db, request);
    const roomId = roomIdParams(request.params);
    const room = await roomForMember(me, roomId);
    if (room.type === "direct") {
      // A direct room is never left, only archived for me; opening it again unarchives it.
      await db.query("UPDATE chat_participants SET is_archived = true WHERE room_id = $1 AND user_id = $2", [roomId, me.id]);
      await ctx.feed.usersChanged([me.id]);
    } else {
      await leaveGroup(roomId, me.id);
      await announce(roomId, [{ kind: "member_left", actor: me.id }]);
      await revoke(roomId, me.id);
    }
    reply.code(204);
  });

  /**
   * Leave a group (or be removed from it by `removedBy`); the last admin to leave hands admin to
   * the longest-standing member.
   */
  async function leaveGroup(roomId: string, userId: string, removedBy: string | null = null): Promise<void> {
    await db.transaction(async (tx) => {
      await tx.query("SELECT 1 FROM chat_rooms WHERE id = $1 FOR UPDATE", [roomId]);
      await tx.query("UPDATE chat_participants SET left_at = now(), removed_by = $3 WHERE room_id = $1 AND user_id = $2", [
        roomId,
        userId,
        removedBy,
      ]);
      await tx.query(
        `UPDATE chat_participants SET role = 'admin'
          WHERE room_id = $1 AND left_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM chat_participants WHERE room_id = $1 AND left_at IS NULL AND role = 'admin')
            AND user_id = (SELECT user_id FROM chat_participants WHERE room_id = $1 AND left_at IS NULL
                            ORDER BY joined_at, user_id LIMIT 1)`,
        [roomId],
      );
    });
    // Who is admin may have changed hands.
    await bus.publish({ type: "room_settings_changed", roomId });
  }

  app.put("/api/v1/chat/rooms/:room_id/settings", async (request) => {
    const me = await requireUser(db, request);
    const roomId = roomIdParams(request.params);
    const body = parse(roomSettingsSchema, request.body);
    await roomForMember(me, roomId);
    await db.query(
      `UPDATE chat_participants SET is_muted = COALESCE($3, is_muted), is_archived = COALESCE($4, is_archived)
        WHERE room_id = $1 AND user_id = $2`,
      [roomId, me.id, body.is_muted ?? null, body.is_archived ?? null],
    );
    await ctx.feed.usersChanged([me.id]);
    return respond(me, roomId);
  });

  app.post("/api/v1/chat/rooms/:room_id/join", async (request) => {
    const me = await requireUser(db, request);
    const roomId = roomIdParams(request.params);
    const room = await findRoom(db, me.id, roomId);
    if (!room || (room.visibility !== "public" && !room.is_member)) throw new HttpError("not_found", "No such room.");
    if (room.type !== "group" || room.visibility !== "public") throw new HttpError("forbidden", "Only public groups can be joined.");
    if (room.is_member) return respond(me, roomId);
    await db.query(
      `INSERT INTO chat_participants (room_id, user_id, role) VALUES ($1, $2, 'member')
       ON CONFLICT (room_id, user_id) DO UPDATE SET left_at = NULL, removed_by = NULL, role = 'member', joined_at = now()`,
      [roomId, me.id],
    );
    await announce(roomId, [{ kind: "member_joined", actor: me.id }]);
    return respond(me, roomId);
  });

  app.post("/api/v1/chat/rooms/:room_id/members", async (request) => {
    const me = await requireUser(db, request);
    const roomId = roomIdParams(request.params);
    const body = parse(addMembersSchema, request.body);
    const room = await groupForAdmin(me, roomId);
    const current = new Set(room.participants.map((p) => p.id));
    const added = [...new Set(body.user_ids)].filter((id) => !current.has(id));
    await assertUsersExist(added);
    if (added.length > 0) {
      await db.query(
        `INSERT INTO chat_participants (room_id, user_id, role) SELECT $1, u, 'member' FROM unnest($2::uuid[]) AS u
         ON CONFLICT (room_id, user_id) DO UPDATE SET left_at = NULL, removed_by = NULL, role = 'member', joined_at = now()`,
        [roomId, added],
      );
      await announce(
        roomId,
        added.map((target): RoomEvent => ({ kind: "member_added", actor: me.id, target })),
      );
    }
    return respond(me, roomId);
  });

  app.delete("/api/v1/chat/rooms/:room_id/members/:user_id", async (request, reply) => {
    const me = await requireUser(db, request);
    const roomId = roomIdParams(request.params);
    const target = userIdParam(request.params);
    if (target === me.id) {
      const room = await roomForMember(me, roomId);
      if (room.type !== "group") throw new HttpError("conflict", "Direct rooms cannot be left; archive them instead.");
      await leaveGroup(roomId, me.id);
      await announce(roomId, [{ kind: "member_left", actor: me.id }]);
    } else {
      const room = await groupForAdmin(me, roomId);
      if (!room.participants.some((p) => p.id === target)) throw new HttpError("not_found", "That user is not a member.");
      await leaveGroup(roomId, target, me.id);
      await announce(roomId, [{ kind: "member_removed", actor: me.id, target }]);
    }
    await revoke(roomId, target);
    reply.code(204);
  });

  app.put("/api/v1/chat/rooms/:room_id/members/:user_id", async (request) => {
    const me = await requireUser(db, request);
    const roomId = roomIdParams(request.params);
    const target = userIdParam(request.params);
    const body = parse(setRoleSchema, request.body);
    const room = await groupForAdmin(me, roomId);
    const member = room.participants.find((p) => p.id === target);
    if (!member) throw new HttpError("not_found", "That user is not a member.");
    if (member.role === body.role) return respond(me, roomId);
    if (body.role === "member" && room.participants.filter((p) => p.role === "admin").length === 1) {
      throw new HttpError("conflict", "A group needs at least one admin: promote someone else first.");
    }
    await db.query("UPDATE chat_participants SET role = $3 WHERE room_id = $1 AND user_id = $2", [roomId, target, body.role]);
    await bus.publish({ type: "room_settings_changed", roomId });
    await announce(roomId, [{ kind: "role_changed", actor: me.id, target, role: body.role }]);
    return respond(me, roomId);
  });
}
