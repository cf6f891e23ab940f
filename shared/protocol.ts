import { z } from "zod";
import { ERROR_CODES, type ErrorCode } from "./errors.ts";

const errorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

/**
 * The stateless message the server sends just before it closes one document for a client:
 * the code says why (see ERROR_CODES) and is also the Hocuspocus close reason.
 */
export const refusedMessageSchema = z.object({
  type: z.literal("refused"),
  code: errorCodeSchema,
  message: z.string(),
});
export type RefusedMessage = z.infer<typeof refusedMessageSchema>;

/** Every stateless message the server sends down, discriminated on `type`. */
export const serverStatelessSchema = z.discriminatedUnion("type", [refusedMessageSchema]);
export type ServerStateless = z.infer<typeof serverStatelessSchema>;

/** Parse a stateless payload from the server; null for anything this client does not know. */
export function parseServerStateless(payload: string): ServerStateless | null {
  try {
    const parsed = serverStatelessSchema.safeParse(JSON.parse(payload));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
