import type { z } from "zod";
import { HttpError } from "./http-error.ts";

/**
 * Parse a request part at the door: a failure is a 400 naming the field, and code behind the
 * door only sees typed values.
 */
export function parse<T extends z.ZodType>(schema: T, value: unknown, what = "body"): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? `${what}.${issue.path.join(".")}` : what;
  throw new HttpError("invalid_request", `${field}: ${issue?.message ?? "invalid"}`);
}
