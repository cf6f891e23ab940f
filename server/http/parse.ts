import type { z } from "zod";
import { INVALID_TEXT, isInvalidTextIssue } from "../../shared/api/text.ts";
import { HttpError } from "./http-error.ts";

/**
 * Parse a request part at the door: a failure is a 400 naming the field, and code behind the
 * door only sees typed values. A string that is not storable text is named first, with
 * `invalid_text`, whatever else is wrong beside it.
 */
export function parse<T extends z.ZodType>(schema: T, value: unknown, what = "body"): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const textIssue = result.error.issues.find(isInvalidTextIssue);
  const issue = textIssue ?? result.error.issues[0];
  const field = issue && issue.path.length > 0 ? `${what}.${issue.path.join(".")}` : what;
  throw new HttpError(textIssue ? INVALID_TEXT : "invalid_request", `${field}: ${issue?.message ?? "invalid"}`);
}
