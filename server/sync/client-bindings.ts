import type { Queryable } from "../db/database.ts";

/** Thrown inside an append when a client id turned out to belong to someone else (another process bound it first). */
export class BindingConflict extends Error {}

/**
 * Who owns each Yjs client id of a document (null: the server), as stored. Read when a document
 * loads (LoadedRoom keeps them); new claims are written inside the same transaction as the update
 * that makes them, and checked there against what other processes bound meanwhile.
 */
export async function loadBindings(db: Queryable, documentName: string): Promise<Map<number, string | null>> {
  const { rows } = await db.query<{ client_id: number; user_id: string | null }>(
    "SELECT client_id, user_id FROM document_client_bindings WHERE document_name = $1",
    [documentName],
  );
  return new Map(rows.map((r) => [Number(r.client_id), r.user_id]));
}

/**
 * Bind `clientIds` of `documentName` to `userId` inside `tx`; throws BindingConflict when one is
 * already bound to someone else.
 */
export async function claimBindings(tx: Queryable, documentName: string, clientIds: number[], userId: string | null): Promise<void> {
  if (clientIds.length === 0) return;
  await tx.query(
    `INSERT INTO document_client_bindings (document_name, client_id, user_id)
     SELECT $1, c, $3::uuid FROM unnest($2::bigint[]) AS c ON CONFLICT DO NOTHING`,
    [documentName, clientIds, userId],
  );
  const { rows } = await tx.query(
    `SELECT 1 FROM document_client_bindings
      WHERE document_name = $1 AND client_id = ANY($2::bigint[]) AND user_id IS DISTINCT FROM $3::uuid`,
    [documentName, clientIds, userId],
  );
  if (rows.length > 0) throw new BindingConflict("a client id belongs to another user");
}
