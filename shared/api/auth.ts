import { z } from "zod";
import { userSchema } from "./common.ts";
import { text } from "./text.ts";

export const usernameSchema = z
  .string()
  .min(3)
  .max(32)
  .regex(/^[a-zA-Z0-9_.-]+$/, "letters, digits, dot, dash and underscore only");

/** POST /api/v1/auth/signup */
export const signupRequestSchema = z.strictObject({
  username: usernameSchema,
  password: text().min(8).max(256),
  display_name: text().trim().min(1).max(64).optional(),
});
export type SignupRequest = z.infer<typeof signupRequestSchema>;

/** POST /api/v1/auth/login */
export const loginRequestSchema = z.strictObject({
  username: text().min(1).max(64),
  password: text().min(1).max(256),
});
export type LoginRequest = z.infer<typeof loginRequestSchema>;

/** Both signup and login answer with a session token and the user. */
export const sessionResponseSchema = z.object({ token: z.string(), user: userSchema });
export type SessionResponse = z.infer<typeof sessionResponseSchema>;

/** GET /api/v1/users/me: the user plus what only they see. */
export const meResponseSchema = userSchema.extend({
  bio: z.string().nullable(),
  friend_requests_from: z.enum(["everyone", "friends_of_friends", "nobody"]),
  is_server_admin: z.boolean(),
  created_at: z.string(),
});
export type MeResponse = z.infer<typeof meResponseSchema>;
