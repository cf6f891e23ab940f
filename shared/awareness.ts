import { z } from "zod";

/**
 * A member's awareness state in a document (typing and presence), as the server relays it. The
 * server writes `user` itself from the connection's session, whatever the client put there, and
 * drops every other field: a client says only whether it is typing, never who it is.
 */
export const awarenessStateSchema = z.object({
  user: z.object({ id: z.string(), name: z.string() }),
  typing: z.boolean(),
});
export type AwarenessState = z.infer<typeof awarenessStateSchema>;

/** Read a peer's awareness state; null for one that is not in the relayed shape. */
export function parseAwarenessState(state: unknown): AwarenessState | null {
  const parsed = awarenessStateSchema.safeParse(state);
  return parsed.success ? parsed.data : null;
}
