import path from "node:path";
import { z } from "zod";

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  HOST: z.string().default("0.0.0.0"),
  DATABASE_URL: z.string().min(1).optional(),
  DATA_DIR: z.string().default("./data"),
  REDIS_URL: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Failed logins allowed per username and per address in LOGIN_WINDOW_SECONDS before 429. */
  LOGIN_MAX_FAILURES: z.coerce.number().int().positive().default(5),
  LOGIN_WINDOW_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(15 * 60),
  /** New messages per user per minute before acknowledgements are held back (pacing, not refusal). */
  MESSAGES_PER_MINUTE: z.coerce.number().int().positive().default(120),
  /** New messages per user per ten minutes above which sends are refused (429 / rate_limited). */
  MESSAGES_ABUSE_PER_TEN_MINUTES: z.coerce.number().int().positive().default(1000),
  /** New messages per room per minute (all members) before acknowledgements are held back. */
  MESSAGES_PER_ROOM_PER_MINUTE: z.coerce.number().int().positive().default(600),
  /**
   * Accepted messages a room's live segment holds before the server seals it and new messages go
   * to the next segment (docs/architecture.md "Long-lived rooms"); 0 never seals. Off by default
   * until the client library and the web app follow a room's live segment.
   */
  SEGMENT_MESSAGES: z.coerce.number().int().nonnegative().default(0),
  /** Friend requests one user may send per hour (429 with Retry-After beyond). */
  FRIEND_REQUESTS_PER_HOUR: z.coerce.number().int().positive().default(20),
  /** Reports one user may file per hour (429 with Retry-After beyond). */
  REPORTS_PER_HOUR: z.coerce.number().int().positive().default(20),
  /** Hours after a decline before the same person may ask the same person again. */
  FRIEND_REQUEST_COOLDOWN_HOURS: z.coerce.number().nonnegative().default(72),
  /** How often each process proves it is alive; one silent for three beats has its sockets swept. */
  PRESENCE_HEARTBEAT_SECONDS: z.coerce.number().positive().default(10),
  /** Days of fine-grained document history (the update log) kept before it is folded away. */
  HISTORY_RETENTION_DAYS: z.coerce.number().positive().default(30),
  /** Benchmarks only: accept WebSocket updates without judging them, to measure what judging costs. */
  UNSAFE_SKIP_UPDATE_VALIDATION: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
  /** Benchmarks only: count no message rates, to measure what counting costs apart from judging. */
  UNSAFE_SKIP_MESSAGE_RATE_LIMITS: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
  /** A JSON file of content-filter rules: { words, patterns, blocked_domains, default_mode } (docs/moderation.md). */
  CONTENT_FILTER_FILE: z.string().min(1).optional(),
  /** Filtered words, comma-separated, added to the file's. */
  CONTENT_FILTER_WORDS: z.string().optional(),
  /** Domains whose links are refused (subdomains too), comma-separated, added to the file's. */
  BLOCKED_LINK_DOMAINS: z.string().optional(),
  /** What rooms whose admins chose nothing do with filtered words: mask them or refuse the message. */
  CONTENT_FILTER_MODE: z.enum(["refuse", "mask"]).optional(),
  /** Largest upload, in bytes (413 media_too_large beyond). */
  MEDIA_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(10 * 1024 * 1024),
  /** Largest image, in decoded pixels (413 beyond): a small file must not unpack into gigabytes. */
  MEDIA_MAX_IMAGE_PIXELS: z.coerce.number().int().positive().default(40_000_000),
  /** Uploads one user may make per hour (429 with Retry-After beyond). */
  MEDIA_UPLOADS_PER_HOUR: z.coerce.number().int().positive().default(60),
  /** Hours an upload may wait to be attached to a message before cleanup removes it. */
  MEDIA_UNATTACHED_HOURS: z.coerce.number().nonnegative().default(24),
  /** How often one process removes media no message refers to any more. */
  MEDIA_CLEANUP_INTERVAL_MINUTES: z.coerce.number().positive().default(60),
  /** Set: media lives in this S3-compatible bucket instead of DATA_DIR/media. */
  MEDIA_S3_BUCKET: z.string().min(1).optional(),
  MEDIA_S3_REGION: z.string().min(1).default("us-east-1"),
  /** The store's URL for anything but AWS itself (MinIO, R2, Cloudinary's S3 interface...). */
  MEDIA_S3_ENDPOINT: z.url().optional(),
  /** Unset: the AWS SDK's usual credential chain (AWS_ACCESS_KEY_ID, instance roles...). */
  MEDIA_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  MEDIA_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  MEDIA_S3_FORCE_PATH_STYLE: z
    .enum(["true", "false"])
    .default("true")
    .transform((v) => v === "true"),
  /** Prefix of every object key, so one bucket can hold several deployments. */
  MEDIA_S3_PREFIX: z.string().default(""),
  /** Update-log entries of one document after which it is compacted into a new snapshot. */
  COMPACT_AFTER_UPDATES: z.coerce.number().int().positive().default(500),
  /** Web Push VAPID key pair (base64url); unset: one pair is generated and kept in the database (docs/push.md). */
  VAPID_PUBLIC_KEY: z.string().min(1).optional(),
  VAPID_PRIVATE_KEY: z.string().min(1).optional(),
  /** Who push services may contact about this server's pushes: a mailto: or https: URL. */
  VAPID_SUBJECT: z
    .string()
    .regex(/^(mailto:|https:)/, "must start with mailto: or https:")
    .default("mailto:admin@localhost"),
  /** Seconds a room's messages are collected into one notification before it is sent. */
  PUSH_COLLAPSE_SECONDS: z.coerce.number().nonnegative().default(5),
  /** How often each process looks for notifications that are due. */
  PUSH_DISPATCH_INTERVAL_MS: z.coerce.number().int().positive().default(1000),
  /** Tests only: accept http: and loopback push endpoints (the server POSTs to them: an SSRF risk). */
  PUSH_ALLOW_INSECURE_ENDPOINTS: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
});

/** The server's settings, read from the environment once at start. */
export type Config = z.infer<typeof envSchema> & { dataDir: string };

/** Parse the environment; an invalid value stops the start with a message naming it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid configuration: ${problems.join("; ")}`);
  }
  return { ...parsed.data, dataDir: path.resolve(parsed.data.DATA_DIR) };
}
