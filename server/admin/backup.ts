import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import type { Config } from "../config.ts";
import { lockDataDir } from "../db/data-dir-lock.ts";

const run = promisify(execFile);

/**
 * Back up everything the server stores (users, the social graph, rooms, and every document's
 * snapshots and update log) into one file, with the database's own tools: `pg_dump` (custom
 * format) for PostgreSQL; PGlite's `dumpDataDir` (a gzipped tarball) for the embedded one, which
 * must not be held by a running server.
 */
export async function backup(config: Pick<Config, "DATABASE_URL" | "dataDir">, file: string): Promise<{ bytes: number }> {
  if (config.DATABASE_URL) {
    await run("pg_dump", ["--format=custom", "--no-owner", `--file=${file}`, config.DATABASE_URL]);
  } else {
    const release = lockDataDir(config.dataDir);
    try {
      const db = await PGlite.create({ dataDir: pgliteDir(config.dataDir) });
      const dump = await db.dumpDataDir("gzip");
      fs.writeFileSync(file, new Uint8Array(await dump.arrayBuffer()));
      await db.close();
    } finally {
      release();
    }
  }
  return { bytes: fs.statSync(file).size };
}

/**
 * Restore a backup made by `backup`, replacing what is there. PostgreSQL: `pg_restore --clean` in
 * one transaction (stop the servers first). PGlite: the data folder is replaced; the old one is
 * kept beside it as `pglite.before-restore-<time>` until you delete it.
 */
export async function restore(config: Pick<Config, "DATABASE_URL" | "dataDir">, file: string): Promise<void> {
  if (!fs.existsSync(file)) throw new Error(`No backup file ${file}.`);
  if (config.DATABASE_URL) {
    await run("pg_restore", ["--clean", "--if-exists", "--no-owner", "--single-transaction", `--dbname=${config.DATABASE_URL}`, file]);
    return;
  }
  const release = lockDataDir(config.dataDir);
  try {
    const target = pgliteDir(config.dataDir);
    if (fs.existsSync(target)) fs.renameSync(target, `${target}.before-restore-${new Date().toISOString().replace(/[:.]/g, "-")}`);
    const archive = new Blob([new Uint8Array(fs.readFileSync(file))]);
    const db = await PGlite.create({ dataDir: target, loadDataDir: archive });
    await db.query("SELECT 1");
    await db.close();
  } finally {
    release();
  }
}

const pgliteDir = (dataDir: string) => path.join(dataDir, "pglite");
