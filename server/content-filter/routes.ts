import type { FastifyInstance } from "fastify";
import type { AppContext } from "../app-context.ts";
import { requireUser } from "../auth/require-user.ts";

/** GET /api/v1/content-filter: the rules, so the app can mask before sending and warn before a refusal. */
export function contentFilterRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get("/api/v1/content-filter", async (request) => {
    await requireUser(ctx.db, request);
    return ctx.contentFilter.rules;
  });
}
