import type { FastifyInstance } from "fastify";
import {
  type PushConfigResponse,
  type PushPreferences,
  type PushSubscriptionResponse,
  pushPreferencesUpdateSchema,
  pushSubscriptionCreateSchema,
  pushSubscriptionDeleteSchema,
} from "../../shared/api/push.ts";
import type { AppContext } from "../app-context.ts";
import { requireUser } from "../auth/require-user.ts";
import { HttpError } from "../http/http-error.ts";
import { parse } from "../http/parse.ts";
import { refusedPushEndpoint } from "./endpoint-policy.ts";
import { preferencesOf, updatePreferences } from "./preferences.ts";
import { deleteSubscription, saveSubscription } from "./subscriptions.ts";

/** /api/v1/push: the VAPID key, my subscriptions (one per browser) and which kinds I want (docs/push.md). */
export function pushRoutes(app: FastifyInstance, { db, push, config }: AppContext): void {
  app.get("/api/v1/push/config", async (request): Promise<PushConfigResponse> => {
    await requireUser(db, request);
    return { public_key: push.publicKey };
  });

  app.post("/api/v1/push/subscriptions", async (request, reply): Promise<PushSubscriptionResponse> => {
    const me = await requireUser(db, request);
    const body = parse(pushSubscriptionCreateSchema, request.body);
    const refused = refusedPushEndpoint(body.endpoint, config.PUSH_ALLOW_INSECURE_ENDPOINTS);
    if (refused) throw new HttpError("push_endpoint_refused", `body.endpoint: ${refused}.`);
    const userAgent = request.headers["user-agent"]?.slice(0, 256) ?? null;
    const saved = await db.transaction((tx) => saveSubscription(tx, me.id, body, userAgent));
    reply.code(saved.created ? 201 : 200);
    return saved.subscription;
  });

  app.delete("/api/v1/push/subscriptions", async (request, reply) => {
    const me = await requireUser(db, request);
    const { endpoint } = parse(pushSubscriptionDeleteSchema, request.body);
    await deleteSubscription(db, me.id, endpoint);
    reply.code(204);
  });

  app.get("/api/v1/push/preferences", async (request): Promise<PushPreferences> => {
    const me = await requireUser(db, request);
    return preferencesOf(db, me.id);
  });

  app.put("/api/v1/push/preferences", async (request): Promise<PushPreferences> => {
    const me = await requireUser(db, request);
    return updatePreferences(db, me.id, parse(pushPreferencesUpdateSchema, request.body));
  });
}
