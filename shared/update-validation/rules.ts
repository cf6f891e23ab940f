import { z } from "zod";
import { isUuidV7 } from "../ids.ts";
import { attachmentSchema, locationSchema, ROOM_DOC_LIMITS, receiptSchema } from "../room-doc/index.ts";

/** Largest update accepted in one message: an offline backlog of hundreds of messages fits. */
export const MAX_UPDATE_BYTES = 1024 * 1024;

/** How far in the future a message's `created_at` may be (device clocks drift); the past is fine. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** Why an update is refused; each is a code of shared/errors.ts. */
export type RefusalCode =
  | "invalid_update"
  | "forged_author"
  | "not_permitted"
  | "schema_violation"
  | "update_too_large"
  | "reply_target_missing"
  | "clock_skew"
  | "invalid_text";

/** A refusal, thrown inside the validator and returned as its verdict. */
export class Refusal extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
    /** The update continues changes the server never received (see Verdict `missingDependencies`). */
    readonly missingDependencies = false,
  ) {
    super(message);
  }
}

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO time");

/** Each message field's value schema; a field not listed here is outside the schema. */
export const FIELD_VALUES: Record<string, z.ZodType> = {
  id: z.string(),
  sender_id: z.string(),
  type: z.enum(["text", "image", "file", "location", "system"]),
  content: z.string().nullable(),
  media_urls: z.array(z.string()),
  attachments: z.array(attachmentSchema),
  location: locationSchema.nullable(),
  reply_to_id: z.string().nullable(),
  created_at: iso,
  edited_at: iso.nullable(),
  deleted: z.boolean(),
  system_event: z.unknown(),
};

/** Fields set once when a message is created; nobody changes them afterwards. */
export const IMMUTABLE_FIELDS = new Set(["id", "sender_id", "type", "created_at", "reply_to_id", "system_event"]);

/** Fields every new message must carry. */
export const REQUIRED_FIELDS = ["id", "sender_id", "type", "created_at", "deleted"];

/** What a moderator's delete writes (see deleteMessage): deleted, and everything shown cleared. */
export function isModerationValue(key: string, value: unknown): boolean {
  switch (key) {
    case "deleted":
      return value === true;
    case "content":
    case "location":
      return value === null;
    case "media_urls":
    case "attachments":
      return Array.isArray(value) && value.length === 0;
    case "edited_at":
      return typeof value === "string";
    default:
      return false;
  }
}

/** Check one field value against the schema and the size limits. */
export function checkFieldValue(key: string, value: unknown): void {
  const schema = FIELD_VALUES[key];
  if (!schema) throw new Refusal("schema_violation", `Messages have no field "${key}".`);
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Refusal("schema_violation", `Message field "${key}": ${parsed.error.issues[0]?.message ?? "invalid"}.`);
  if (key === "content" && typeof value === "string" && value.length > ROOM_DOC_LIMITS.contentChars) {
    throw new Refusal("update_too_large", `A message holds at most ${ROOM_DOC_LIMITS.contentChars} characters.`);
  }
  if (key === "media_urls" && Array.isArray(value)) {
    if (value.length > ROOM_DOC_LIMITS.mediaUrls || value.some((u) => typeof u === "string" && u.length > ROOM_DOC_LIMITS.mediaUrlChars)) {
      throw new Refusal("update_too_large", `A message holds at most ${ROOM_DOC_LIMITS.mediaUrls} media urls.`);
    }
  }
  if (key === "attachments" && Array.isArray(value) && value.length > ROOM_DOC_LIMITS.attachments) {
    throw new Refusal("update_too_large", `A message carries at most ${ROOM_DOC_LIMITS.attachments} attachments.`);
  }
}

/** Check a message id: a UUIDv7, as the schema requires. */
export function checkMessageId(id: string): void {
  if (!isUuidV7(id)) throw new Refusal("schema_violation", `Message ids are UUIDv7; "${id.slice(0, 60)}" is not.`);
}

/** A receipt value, as the schema requires. */
export function parseReceipt(value: unknown): z.infer<typeof receiptSchema> {
  const parsed = receiptSchema.safeParse(value);
  if (!parsed.success) throw new Refusal("schema_violation", "A read receipt is { message_id, seq, read_at }.");
  return parsed.data;
}
