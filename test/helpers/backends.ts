import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import type { Database } from "../../server/db/database.ts";
import { migrateUp } from "../../server/db/migrate.ts";
import { openPglite } from "../../server/db/pglite.ts";
import { openPostgres } from "../../server/db/postgres.ts";

/** The two storage backends every integration suite runs against. */
export type Backend = "postgres" | "pglite";

/** Where throwaway test databases are created (a server with trust auth, as on CI). */
/** The Redis that several server processes of one test share (channels are prefixed per database). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

/** TEST_BACKEND=postgres|pglite runs one; by default the contract suites run on both. */
export function backendsUnderTest(): Backend[] {
  const chosen = process.env.TEST_BACKEND;
  if (chosen === "postgres" || chosen === "pglite") return [chosen];
  return ["postgres", "pglite"];
}

/** A fresh, empty database for one suite: its settings and how to drop it. */
export interface ThrowawayDatabase {
  env: { DATABASE_URL?: string; DATA_DIR: string };
  drop(): Promise<void>;
}

/** Create an empty database on the chosen backend (a new PostgreSQL database, or a new folder). */
export async function createThrowawayDatabase(backend: Backend): Promise<ThrowawayDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "chat-test-"));
  if (backend === "pglite") {
    return {
      env: { DATA_DIR: dataDir },
      drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `chat_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString(), DATA_DIR: dataDir },
    async drop() {
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The suite's own migrated database of `backend`, opened directly (no server): for the storage
 * contract suites. Opened before the suite's tests, closed and dropped after them.
 */
export function useMigratedDatabase(backend: Backend): { readonly db: Database } {
  const holder = {} as { db: Database; database: ThrowawayDatabase };
  beforeAll(async () => {
    holder.database = await createThrowawayDatabase(backend);
    const { env } = holder.database;
    holder.db = backend === "postgres" && env.DATABASE_URL ? openPostgres(env.DATABASE_URL) : await openPglite(env.DATA_DIR);
    await migrateUp(holder.db, () => {});
  });
  afterAll(async () => {
    await holder.db?.close();
    await holder.database?.drop();
  });
  return {
    get db() {
      return holder.db;
    },
  };
}
