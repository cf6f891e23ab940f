import { z } from "zod";
import type { ErrorCode } from "../errors.ts";
import { isStorableText } from "../text/storable.ts";

/** The code a request answers with when one of its strings is not storable text. */
export const INVALID_TEXT: ErrorCode = "invalid_text";

/**
 * The rule every string a request carries obeys (body fields, query parameters, path
 * parameters): no U+0000 and no lone surrogate. Its issue names `invalid_text`, which `parse`
 * answers with; `abort` keeps the field's other checks from reporting on text that is not text.
 */
export const storableText = z.refine<string>(isStorableText, {
  message: "must not contain NUL (U+0000) or a lone UTF-16 surrogate",
  params: { code: INVALID_TEXT },
  abort: true,
});

/** A string field of a request; chain `.trim()`, `.min()`, `.max()` as on `z.string()`. */
export const text = () => z.string().check(storableText);

/** True when a zod issue is the text rule's, so the answer carries `invalid_text`. */
export const isInvalidTextIssue = (issue: z.core.$ZodIssue): boolean =>
  issue.code === "custom" && (issue.params as { code?: unknown } | undefined)?.code === INVALID_TEXT;
