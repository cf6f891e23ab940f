import { signupRequestSchema } from "../../shared/api/auth.ts";
import { ApiError } from "../api/http.ts";

/** The sign-up form's fields that can be wrong. */
export type SignupField = "username" | "password" | "display_name";

/** What is wrong with each field, in a person's words (shown next to it). */
export type FieldErrors = Partial<Record<SignupField, string>>;

const WORDS: Record<SignupField, Partial<Record<string, string>> & { other: string }> = {
  username: {
    too_small: "Choose a username of at least 3 characters.",
    too_big: "Keep your username to 32 characters or fewer.",
    invalid_format: "Use only letters, digits, dots, dashes and underscores, with no spaces.",
    other: "This username cannot be used: try letters and digits.",
  },
  password: {
    too_small: "Use at least 8 characters for your password.",
    too_big: "Use at most 256 characters for your password.",
    other: "This password cannot be used: try another.",
  },
  display_name: {
    too_big: "Keep your display name to 64 characters or fewer.",
    other: "This name cannot be used: try another.",
  },
};

const isField = (value: unknown): value is SignupField => value === "username" || value === "password" || value === "display_name";

/** Check the form before it is sent, with the server's own rules (shared/api/auth.ts). */
export function signupFieldErrors(body: { username: string; password: string; display_name?: string }): FieldErrors {
  const result = signupRequestSchema.safeParse(body);
  if (result.success) return {};
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const field = issue.path[0];
    if (!isField(field) || errors[field]) continue;
    errors[field] = WORDS[field][issue.code] ?? WORDS[field].other;
  }
  return errors;
}

/** A refusal from the server that belongs next to a field (a taken username, a field it refused), or null. */
export function serverFieldError(error: unknown): FieldErrors | null {
  if (!(error instanceof ApiError)) return null;
  if (error.code === "username_taken") return { username: "That username is taken: try another." };
  const field = /^body\.([a-z_]+):/.exec(error.message)?.[1];
  if (error.code === "invalid_request" || error.code === "invalid_text") {
    if (isField(field)) return { [field]: WORDS[field].other };
  }
  return null;
}
