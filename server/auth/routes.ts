import type { FastifyInstance } from "fastify";
import { loginRequestSchema, type SessionResponse, signupRequestSchema } from "../../shared/api/auth.ts";
import { newId } from "../../shared/ids.ts";
import type { AppContext } from "../app-context.ts";
import { HttpError } from "../http/http-error.ts";
import { parse } from "../http/parse.ts";
import { suspendedUntil } from "../moderation/suspension.ts";
import { dummyPasswordHash, hashPassword, verifyPassword } from "./passwords.ts";
import { bearerToken, requireUser } from "./require-user.ts";
import { createSession, revokeSession } from "./sessions.ts";
import { toUser, USER_COLUMNS } from "./user-rows.ts";

/** /api/v1/auth: signup, login, logout. */
export function authRoutes(app: FastifyInstance, { db, loginLimiter, bus }: AppContext): void {
  app.post("/api/v1/auth/signup", async (request, reply): Promise<SessionResponse> => {
    const body = parse(signupRequestSchema, request.body);
    const passwordHash = await hashPassword(body.password);
    const { rows } = await db.query<{
      id: string;
      username: string;
      display_name: string | null;
      avatar_url: string | null;
    }>(
      `INSERT INTO users (id, username, display_name, password_hash) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING ${USER_COLUMNS}`,
      [newId(), body.username, body.display_name ?? null, passwordHash],
    );
    const user = rows[0];
    if (!user) throw new HttpError("username_taken", `The username "${body.username}" is taken.`);
    reply.code(201);
    return { token: await createSession(db, user.id), user: toUser(user) };
  });

  app.post("/api/v1/auth/login", async (request): Promise<SessionResponse> => {
    const body = parse(loginRequestSchema, request.body);
    // Counted before the password is checked, so parallel guesses cannot outrun the count.
    const wait = await loginLimiter.begin(body.username, request.ip);
    if (wait > 0) {
      throw new HttpError("rate_limited", `Too many login attempts. Try again in ${wait} s.`, {
        "retry-after": String(wait),
      });
    }
    const { rows } = await db.query<{
      id: string;
      username: string;
      display_name: string | null;
      avatar_url: string | null;
      password_hash: string;
    }>(`SELECT ${USER_COLUMNS}, password_hash FROM users WHERE lower(username) = lower($1)`, [body.username]);
    const user = rows[0];
    const ok = await verifyPassword(user?.password_hash ?? (await dummyPasswordHash()), body.password);
    // A failure keeps the attempt counted; a success gives it back.
    if (!user || !ok) throw new HttpError("invalid_credentials", "Wrong username or password.");
    await loginLimiter.succeeded(body.username, request.ip);
    // Told only after the password is right: a suspension is not revealed to whoever guesses names.
    const until = await suspendedUntil(db, user.id);
    if (until) throw new HttpError("account_suspended", `This account is suspended until ${until.toISOString()}.`);
    return { token: await createSession(db, user.id), user: toUser(user) };
  });

  app.post("/api/v1/auth/logout", async (request, reply) => {
    // Only a live session can be ended: an unknown, expired or revoked token is 401, as on every route.
    await requireUser(db, request);
    const sessionId = await revokeSession(db, bearerToken(request));
    // Sockets opened with this session, on whichever process holds them, end now too.
    await bus.publish({ type: "session_revoked", sessionId });
    reply.code(204);
  });
}
