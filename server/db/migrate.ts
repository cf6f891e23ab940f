import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Umzug } from "umzug";
import type { Database, Queryable } from "./database.ts";

const migrationsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "migrations");

// Any constant works; it only has to be the same in every process that migrates this database.
const MIGRATION_LOCK_KEY = 727_001;

function migrator(tx: Queryable, log: (message: string) => void) {
  return new Umzug<Queryable>({
    migrations: {
      glob: ["*.up.sql", { cwd: migrationsDir }],
      resolve: ({ name, path: upPath }) => {
        const id = name.replace(/\.up\.sql$/, "");
        const downPath = path.join(migrationsDir, `${id}.down.sql`);
        return {
          name: id,
          up: async ({ context }) => context.exec(await fs.readFile(upPath as string, "utf8")),
          down: async ({ context }) => context.exec(await fs.readFile(downPath, "utf8")),
        };
      },
    },
    context: tx,
    storage: {
      async executed({ context }) {
        await context.query(
          "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
        );
        const { rows } = await context.query<{ name: string }>("SELECT name FROM schema_migrations ORDER BY name");
        return rows.map((row) => row.name);
      },
      async logMigration({ name, context }) {
        await context.query("INSERT INTO schema_migrations (name) VALUES ($1)", [name]);
      },
      async unlogMigration({ name, context }) {
        await context.query("DELETE FROM schema_migrations WHERE name = $1", [name]);
      },
    },
    logger: {
      info: (m) => log(JSON.stringify(m)),
      warn: (m) => log(JSON.stringify(m)),
      error: (m) => log(JSON.stringify(m)),
      debug: () => {},
    },
  });
}

/**
 * Apply every pending migration in one transaction under an advisory lock, so several server
 * processes starting together migrate once and a failed migration leaves nothing half-done.
 */
export async function migrateUp(db: Database, log: (message: string) => void = () => {}): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
    const applied = await migrator(tx, log).up();
    return applied.map((m) => m.name);
  });
}

/** Migrations not applied yet (the health check reports them; the server applies them on start). */
export async function pendingMigrations(db: Queryable): Promise<string[]> {
  return (await migrator(db, () => {}).pending()).map((m) => m.name);
}

/** Revert the most recent migration, or down to and including `to` (0: all), for operators and tests. */
export async function migrateDown(db: Database, to?: string | 0): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
    const reverted = await migrator(tx, () => {}).down(to === undefined ? undefined : { to });
    return reverted.map((m) => m.name);
  });
}
