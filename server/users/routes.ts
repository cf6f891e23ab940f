import type { FastifyInstance } from "fastify";
import type { MeResponse } from "../../shared/api/auth.ts";
import { uuidParam } from "../../shared/api/common.ts";
import { profileUpdateSchema, userSearchQuerySchema } from "../../shared/api/users.ts";
import type { AppContext } from "../app-context.ts";
import { requireUser } from "../auth/require-user.ts";
import type { Queryable } from "../db/database.ts";
import { HttpError } from "../http/http-error.ts";
import { parse } from "../http/parse.ts";
import { profileFor } from "./profile.ts";
import { searchUsers } from "./search.ts";

async function me(db: Queryable, id: string): Promise<MeResponse> {
  const { rows } = await db.query<Omit<MeResponse, "created_at"> & { created_at: Date }>(
    `SELECT id, username, display_name, avatar_url, bio, friend_requests_from, is_server_admin, created_at
       FROM users WHERE id = $1`,
    [id],
  );
  const row = rows[0];
  if (!row) throw new Error("session user vanished");
  return { ...row, created_at: row.created_at.toISOString() };
}

/** /api/v1/users: my account, people search and profiles. */
export function userRoutes(app: FastifyInstance, { db, feed }: AppContext): void {
  app.get("/api/v1/users/me", async (request): Promise<MeResponse> => me(db, (await requireUser(db, request)).id));

  app.put("/api/v1/users/me", async (request): Promise<MeResponse> => {
    const user = await requireUser(db, request);
    const changes = Object.entries(parse(profileUpdateSchema, request.body)).filter(([, value]) => value !== undefined);
    if (changes.length > 0) {
      // Column names come from the strict schema's keys, never from the request.
      const sets = changes.map(([column], i) => `${column} = $${i + 2}`);
      await db.query(`UPDATE users SET ${sets.join(", ")} WHERE id = $1`, [user.id, ...changes.map(([, value]) => value)]);
      // Friends show my name and avatar in their lists.
      const { rows } = await db.query<{ friend_id: string }>("SELECT friend_id::text FROM friendships WHERE user_id = $1", [user.id]);
      await feed.usersChanged([user.id, ...rows.map((r) => r.friend_id)]);
    }
    return me(db, user.id);
  });

  app.get("/api/v1/users/search", async (request) => {
    const user = await requireUser(db, request);
    const page = await searchUsers(db, user.id, parse(userSearchQuerySchema, request.query, "query"));
    if (!page) throw new HttpError("invalid_request", "query.before: not a cursor this server made.");
    return page;
  });

  app.get("/api/v1/users/:user_id/profile", async (request) => {
    const user = await requireUser(db, request);
    const userId = parse(uuidParam, (request.params as { user_id?: unknown }).user_id, "path.user_id");
    return profileFor(db, user.id, userId);
  });
}
