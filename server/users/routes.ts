import type { FastifyInstance } from "fastify";
import type { MeResponse } from "../../shared/api/auth.ts";
import type { AppContext } from "../app-context.ts";
import { requireUser } from "../auth/require-user.ts";

/** /api/v1/users: my account. (Search, profiles and edits come with the social-graph issue.) */
export function userRoutes(app: FastifyInstance, { db }: AppContext): void {
  app.get("/api/v1/users/me", async (request): Promise<MeResponse> => {
    const me = await requireUser(db, request);
    const { rows } = await db.query<Omit<MeResponse, "created_at"> & { created_at: Date }>(
      `SELECT id, username, display_name, avatar_url, bio, friend_requests_from, is_server_admin, created_at
         FROM users WHERE id = $1`,
      [me.id],
    );
    const row = rows[0];
    if (!row) throw new Error("session user vanished");
    return { ...row, created_at: row.created_at.toISOString() };
  });
}
