import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { uuidParam } from "../../shared/api/common.ts";
import { type MediaResponse, type MediaUploadQuery, mediaUploadQuerySchema } from "../../shared/api/media.ts";
import type { AppContext } from "../app-context.ts";
import { requireUser } from "../auth/require-user.ts";
import type { SessionUser } from "../auth/sessions.ts";
import { HttpError } from "../http/http-error.ts";
import { parse } from "../http/parse.ts";
import type { MediaRow } from "./media-records.ts";
import { mediaResponseOf } from "./media-records.ts";
import type { StoredObject } from "./media-store.ts";

/** `filename*` per RFC 6266 / 8187, plus an ASCII fallback for old clients. */
function contentDisposition(kind: "inline" | "attachment", name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

function send(reply: FastifyReply, media: MediaRow, object: StoredObject, variant: "original" | "thumbnail") {
  const image = media.kind === "image";
  return (
    reply
      .header("content-type", variant === "thumbnail" ? "image/webp" : media.mime)
      .header("content-length", String(object.size))
      .header("content-disposition", contentDisposition(image ? "inline" : "attachment", media.name))
      // Membership is checked on every read: no cache may answer for the server (the app keeps its own).
      .header("cache-control", "private, no-store")
      // Never let a browser run what someone uploaded, whatever it claims to be.
      .header("x-content-type-options", "nosniff")
      .header("content-security-policy", "default-src 'none'; sandbox")
      .send(object.body)
  );
}

/**
 * /api/v1/media: uploads (the body is the file's bytes, up to MEDIA_MAX_BYTES) and reading them
 * back, for members of the upload's room only (docs/media.md).
 */
export function mediaRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db, media, config, metrics } = ctx;
  const tooLarge = () => {
    const mib = (config.MEDIA_MAX_BYTES / (1024 * 1024)).toFixed(1).replace(/\.0$/, "");
    return new HttpError("media_too_large", `Uploads are limited to ${mib} MiB (${config.MEDIA_MAX_BYTES} bytes).`);
  };

  // Its own scope: whatever the Content-Type, the body is taken as bytes, up to the media limit.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: config.MEDIA_MAX_BYTES }, (_request, body, done) => done(null, body));
    scope.setErrorHandler((error: FastifyError) => {
      if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
        metrics.mediaUploads.inc({ outcome: "media_too_large" });
        throw tooLarge();
      }
      throw error;
    });

    // Who asks, and whether they may upload here, is settled before the body is read: a stranger's
    // (or an over-size) upload is refused without the server buffering megabytes for it.
    const allowed = new WeakMap<FastifyRequest, { me: SessionUser; query: MediaUploadQuery }>();
    scope.addHook("onRequest", async (request) => {
      const me = await requireUser(db, request);
      const query = parse(mediaUploadQuerySchema, request.query, "query");
      await media.assertMayUpload(query.room_id, me.id);
      if (Number(request.headers["content-length"] ?? 0) > config.MEDIA_MAX_BYTES) {
        metrics.mediaUploads.inc({ outcome: "media_too_large" });
        throw tooLarge();
      }
      allowed.set(request, { me, query });
    });

    scope.post("/api/v1/media", { bodyLimit: config.MEDIA_MAX_BYTES }, async (request, reply): Promise<MediaResponse> => {
      const asked = allowed.get(request);
      if (!asked) throw new HttpError("unauthenticated", "A valid session token is required.");
      const { me, query } = asked;
      const bytes = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const { media: row, created } = await media
        .upload({ roomId: query.room_id, uploaderId: me.id, name: query.name, id: query.id, bytes })
        .catch((error: unknown) => {
          if (error instanceof HttpError) metrics.mediaUploads.inc({ outcome: error.code });
          throw error;
        });
      metrics.mediaUploads.inc({ outcome: created ? "stored" : "retried" });
      reply.code(created ? 201 : 200);
      return mediaResponseOf(row);
    });
  });

  const mediaId = (params: unknown) => parse(uuidParam, (params as { media_id?: string }).media_id, "media_id");

  app.get("/api/v1/media/:media_id", async (request, reply) => {
    const me = await requireUser(db, request);
    const { media: row, object } = await media.open(mediaId(request.params), me, "original");
    return send(reply, row, object, "original");
  });

  app.get("/api/v1/media/:media_id/thumbnail", async (request, reply) => {
    const me = await requireUser(db, request);
    const { media: row, object } = await media.open(mediaId(request.params), me, "thumbnail");
    return send(reply, row, object, "thumbnail");
  });
}
