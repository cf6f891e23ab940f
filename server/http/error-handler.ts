import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ErrorCode } from "../../shared/errors.ts";
import { isDatabaseUnavailable } from "../db/unavailable.ts";
import type { Logger } from "../logger.ts";
import { HttpError } from "./http-error.ts";

// Fastify's own refusals of a request, mapped to our codes.
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: "invalid_json",
  FST_ERR_CTP_EMPTY_JSON_BODY: "invalid_json",
  FST_ERR_CTP_BODY_TOO_LARGE: "payload_too_large",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "invalid_request",
};

// A PostgreSQL restart takes seconds; a client told to wait this long usually finds it back.
const DATABASE_RETRY_AFTER_SECONDS = 5;

// What the router refuses before any route runs (Fastify's `frameworkErrors`), in our words.
const ROUTER_REFUSALS: Record<string, string> = {
  FST_ERR_BAD_URL: "The path is not valid percent-encoded UTF-8.",
  FST_ERR_MAX_PARAM_LENGTH: "A path segment is longer than any id this API takes.",
};

/**
 * Fastify's `frameworkErrors` option: the router's own refusals (a path that does not decode, a
 * parameter over `maxParamLength`) are the caller's mistake, a 400 in our envelope like any other.
 */
export function onFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const refusal = ROUTER_REFUSALS[error.code];
  const http = refusal ? new HttpError("invalid_request", refusal) : new HttpError("internal", "Something went wrong on the server.");
  void reply.code(http.status).send(http.toBody());
}

/**
 * Every error leaves as `{ error: { code, message } }`: ours with their status, Fastify's parse
 * refusals as 4xx, a database that cannot be reached (restarting, say) as 503 with Retry-After,
 * and anything else as a logged 500 (a bug). With `appShell`, an unknown non-API GET answers the
 * web app's index.html (the app routes in the browser); an unknown API path stays a JSON 404.
 * The shell is served from here rather than a `/*` route: a catch-all route would also catch
 * API paths the router turned away (an id over its length limit), which must stay 400s.
 */
export function installErrorHandler(app: FastifyInstance, logger: Logger, options: { appShell?: boolean } = {}): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof HttpError) {
      return reply.code(error.status).headers(error.headers).send(error.toBody());
    }
    if (isDatabaseUnavailable(error)) {
      logger.warn({ err: error, url: request.url, method: request.method }, "request failed: database unavailable");
      const http = new HttpError("service_unavailable", "The database cannot be reached right now; try again shortly.", {
        "retry-after": String(DATABASE_RETRY_AFTER_SECONDS),
      });
      return reply.code(http.status).headers(http.headers).send(http.toBody());
    }
    const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (mapped || (error.statusCode && error.statusCode < 500)) {
      const http = new HttpError(mapped ?? "invalid_request", error.message);
      return reply.code(error.statusCode && error.statusCode < 500 ? error.statusCode : http.status).send(http.toBody());
    }
    logger.error({ err: error, url: request.url, method: request.method }, "request failed");
    return reply.code(500).send(new HttpError("internal", "Something went wrong on the server.").toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith("/api/")) {
      return reply.code(404).send(new HttpError("not_found", `No route ${request.method} ${request.url.split("?")[0]}.`).toBody());
    }
    if (options.appShell && request.method === "GET") return reply.sendFile("index.html");
    return reply.code(404).send("Not found");
  });
}
