import type { FastifyRequest } from "fastify";
import type { Queryable } from "../db/database.ts";
import { HttpError } from "../http/http-error.ts";
import { type SessionUser, userForToken } from "./sessions.ts";

/** The bearer token of a request, or "" when there is none. */
export function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1] ?? "";
}

/** The authenticated user of a request; 401 `unauthenticated` otherwise. */
export async function requireUser(db: Queryable, request: FastifyRequest): Promise<SessionUser> {
  const user = await userForToken(db, bearerToken(request));
  if (!user) throw new HttpError("unauthenticated", "A valid session token is required (Authorization: Bearer <token>).");
  return user;
}
