import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { lockDataDir } from "./data-dir-lock.ts";
import type { Database, Queryable } from "./database.ts";

/**
 * The embedded PostgreSQL (PGlite) under `dataDir`, for a user who has no database server.
 * PGlite is one connection in one process: the folder is locked to this process, and PGlite
 * itself queues statements, so a transaction holds the connection until it ends.
 */
export async function openPglite(dataDir: string): Promise<Database> {
  const release = lockDataDir(dataDir);
  let db: PGlite;
  try {
    db = await PGlite.create({ dataDir: path.join(dataDir, "pglite") });
  } catch (error) {
    release();
    throw error;
  }
  const asQueryable = (runner: Pick<PGlite, "query" | "exec">): Queryable => ({
    query: (sql, params) => runner.query(sql, params as unknown[]) as never,
    exec: async (sql) => {
      await runner.exec(sql);
    },
  });
  return {
    kind: "pglite",
    ...asQueryable(db),
    transaction: (work) => db.transaction((tx) => work(asQueryable(tx))),
    async close() {
      await db.close();
      release();
    },
  };
}
