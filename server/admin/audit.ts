import type { Queryable } from "../db/database.ts";

/** Who is acting: a server admin through the API, or an operator at the CLI. */
export interface Actor {
  name: string;
  userId: string | null;
}

export interface AuditEntry {
  id: number;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
  at: string;
}

/** Record an operator action (every admin action goes through here, CLI and page alike). */
export async function recordAudit(
  db: Queryable,
  actor: Actor,
  action: string,
  target: string | null,
  details: Record<string, unknown> = {},
): Promise<void> {
  await db.query("INSERT INTO admin_audit (actor, actor_user_id, action, target, details) VALUES ($1, $2, $3, $4, $5)", [
    actor.name,
    actor.userId,
    action,
    target,
    JSON.stringify(details),
  ]);
}

/** The newest audit entries first. */
export async function listAudit(db: Queryable, limit: number): Promise<AuditEntry[]> {
  const { rows } = await db.query<Omit<AuditEntry, "at" | "id"> & { id: string | number; at: Date }>(
    "SELECT id, actor, action, target, details, at FROM admin_audit ORDER BY id DESC LIMIT $1",
    [limit],
  );
  return rows.map((r) => ({ ...r, id: Number(r.id), at: r.at.toISOString() }));
}
