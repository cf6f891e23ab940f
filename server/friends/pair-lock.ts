import type { Queryable } from "../db/database.ts";

/**
 * Serialize every change between two users (requests, answers, blocks) until the transaction ends,
 * whichever of them acts: two requests crossing at the same moment are decided one after the
 * other, so they make one friendship, not two pending requests.
 */
export async function lockPair(tx: Queryable, a: string, b: string): Promise<void> {
  const [low, high] = a < b ? [a, b] : [b, a];
  await tx.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", [`friend-pair:${low}:${high}`]);
}
